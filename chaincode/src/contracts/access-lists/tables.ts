// SPDX-License-Identifier: Apache-2.0
import { KEY } from '../../state/keys';
import { SimpleKeyTable, Table } from '../../state/table';
import { parseAccessEntry, parseStudy } from './model';

/** Published studies: `medshare.study [studyId]`. */
export const studies = new Table({ type: KEY.study, key: ['studyId'], parse: parseStudy });

/**
 * A study's access list, bound to its institution: the simple keys
 * `medshare.access-entry/<studyId>/<entryId>`, so that GetData (a submitted transaction: it writes
 * audit entries) reads each page from its bookmark rather than from the list's start. A warrant's
 * entry is written and deleted with the record's warrant (records contract); a contribution's
 * entry id is its link tag's in the study, so one key image has one entry.
 */
export const accessEntries = new SimpleKeyTable({
  type: KEY.accessEntry,
  key: ['studyId', 'entryId'],
  parse: parseAccessEntry,
});
