// SPDX-License-Identifier: Apache-2.0
import { KEY } from '../../state/keys';
import { SimpleKeyTable, Table } from '../../state/table';
import {
  parseIndicatorCount,
  parseIndicatorDay,
  parseIndicatorParticipant,
  parseIndicatorStudyState,
  parseIndicatorTotal,
} from './model';

/** Published indicator studies: `medshare.indicator-study [studyId]`. */
export const indicatorStudies = new Table({
  type: KEY.indicatorStudy,
  key: ['studyId'],
  parse: parseIndicatorStudyState,
});

/** A study's current participant count: `medshare.indicator-count [studyId]` (joins and leaves write it). */
export const participantCounts = new Table({ type: KEY.indicatorCount, key: ['studyId'], parse: parseIndicatorCount });

/** Participants under their keys, current and former: `medshare.indicator-participant [studyId, keyId]`. */
export const participants = new Table({
  type: KEY.indicatorParticipant,
  key: ['studyId', 'keyId'],
  parse: parseIndicatorParticipant,
});

/**
 * Current participants' running totals under simple keys `medshare.indicator-total/<studyId>/<pseudonym>`:
 * the study's participant list in pseudonym order, which GetSeries and GetAggregates (submitted:
 * they audit) read page by page from a bookmark. One row per participant, so concurrent
 * submissions of different participants never write the same key.
 */
export const runningTotals = new SimpleKeyTable({
  type: KEY.indicatorTotal,
  key: ['studyId', 'pseudonym'],
  parse: parseIndicatorTotal,
});

/** A participant's submitted days: `medshare.indicator-day [studyId, pseudonym, day (8 digits)]`. */
export const submittedDays = new Table({
  type: KEY.indicatorDay,
  key: ['studyId', 'pseudonym', 'day'],
  parse: parseIndicatorDay,
});
