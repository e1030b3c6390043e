// SPDX-License-Identifier: Apache-2.0
import {
  AGGREGATE_HEX,
  CIPHERTEXT_HEX,
  expectInteger,
  expectObject,
  expectString,
  fail,
  HEX64,
  INDICATOR_MAX_DAYS,
  INDICATOR_MAX_INDICATORS,
  INDICATOR_MAX_PARTICIPANTS,
  parseIndicatorStudyDefinition,
  PSEUDONYM,
  type IndicatorStudyDefinition,
} from '@medshare/protocol';

/**
 * The indicators contract's state (docs/protocol.md §9, §21): indicator studies, their current
 * participant counts, each participant (by key, with its pseudonym), each participant's running
 * sums and its days' ciphertexts (by pseudonym). Readings are twisted ElGamal ciphertexts under
 * the study's key; no value holds a plaintext reading or keyword.
 */

const hex64 = (v: unknown, n: string): string => expectString(v, n, { pattern: HEX64 });
const time = (v: unknown, n: string): number => expectInteger(v, n);
const pseudonym = (v: unknown, n: string): string => expectString(v, n, { pattern: PSEUDONYM });
/** A UTC day number (protocol's bound for a window's days). */
const dayNumber = (v: unknown, n: string): number => expectInteger(v, n, 0, 1_000_000 + INDICATOR_MAX_DAYS);

function list<T>(value: unknown, name: string, min: number, max: number, item: (v: unknown, n: string) => T): T[] {
  if (!Array.isArray(value) || value.length < min || value.length > max)
    throw fail('INVALID_INPUT', `${name} must be an array of ${min}…${max} entries`);
  return value.map((v: unknown, i) => item(v, `${name}[${i}]`));
}

export type IndicatorStudyState = {
  readonly studyId: string;
  readonly institutionKeyId: string;
  /** The completed definition (defaults filled in). */
  readonly study: IndicatorStudyDefinition;
  readonly publishedAt: number;
};

export function parseIndicatorStudyState(value: unknown): IndicatorStudyState {
  const o = expectObject(value, 'indicatorStudy', ['studyId', 'institutionKeyId', 'study', 'publishedAt']);
  return {
    studyId: hex64(o.studyId, 'indicatorStudy.studyId'),
    institutionKeyId: hex64(o.institutionKeyId, 'indicatorStudy.institutionKeyId'),
    study: parseIndicatorStudyDefinition(o.study, 'indicatorStudy.study'),
    publishedAt: time(o.publishedAt, 'indicatorStudy.publishedAt'),
  };
}

/**
 * A study's current participants (joined and not left) and how many of them have readings
 * (`reporting`): written by every join and leave, and by a participant's first submission.
 */
export type IndicatorCountState = { readonly participants: number; readonly reporting: number };

export function parseIndicatorCount(value: unknown): IndicatorCountState {
  const o = expectObject(value, 'indicatorCount', ['participants', 'reporting']);
  const participants = expectInteger(o.participants, 'indicatorCount.participants', 0, INDICATOR_MAX_PARTICIPANTS);
  return { participants, reporting: expectInteger(o.reporting, 'indicatorCount.reporting', 0, participants) };
}

/**
 * A participant under its key: its pseudonym and record, and once it left, when (it stays, so that
 * the key cannot join again). Only this row links the key and the pseudonym.
 */
export type IndicatorParticipantState = {
  readonly pseudonym: string;
  readonly recordId: string;
  readonly joinedAt: number;
  readonly leftAt?: number;
};

export function parseIndicatorParticipant(value: unknown): IndicatorParticipantState {
  const o = expectObject(value, 'indicatorParticipant', ['pseudonym', 'recordId', 'joinedAt', 'leftAt']);
  return {
    pseudonym: pseudonym(o.pseudonym, 'indicatorParticipant.pseudonym'),
    recordId: hex64(o.recordId, 'indicatorParticipant.recordId'),
    joinedAt: time(o.joinedAt, 'indicatorParticipant.joinedAt'),
    ...(o.leftAt === undefined ? {} : { leftAt: time(o.leftAt, 'indicatorParticipant.leftAt') }),
  };
}

/**
 * A current participant's running total, by pseudonym: per indicator the homomorphic sum of its
 * accepted readings (aggregate encoding, §20.5), and the days they came in (every day carries one
 * reading of each indicator, so this is also each indicator's reading count). Present exactly
 * while the participant is current: the study's participant list, in pseudonym order.
 */
export type IndicatorTotalState = {
  readonly pseudonym: string;
  readonly sums: readonly string[];
  readonly days: number;
};

export function parseIndicatorTotal(value: unknown): IndicatorTotalState {
  const o = expectObject(value, 'indicatorTotal', ['pseudonym', 'sums', 'days']);
  return {
    pseudonym: pseudonym(o.pseudonym, 'indicatorTotal.pseudonym'),
    sums: list(o.sums, 'indicatorTotal.sums', 1, INDICATOR_MAX_INDICATORS, (v, n) =>
      expectString(v, n, { pattern: AGGREGATE_HEX }),
    ),
    days: expectInteger(o.days, 'indicatorTotal.days', 0, INDICATOR_MAX_DAYS),
  };
}

/** One submitted day of a participant: a ciphertext per indicator, in the study's order. */
export type IndicatorDayState = {
  readonly day: number;
  readonly readings: readonly string[];
  readonly submittedAt: number;
};

export function parseIndicatorDay(value: unknown): IndicatorDayState {
  const o = expectObject(value, 'indicatorDay', ['day', 'readings', 'submittedAt']);
  return {
    day: dayNumber(o.day, 'indicatorDay.day'),
    readings: list(o.readings, 'indicatorDay.readings', 1, INDICATOR_MAX_INDICATORS, (v, n) =>
      expectString(v, n, { pattern: CIPHERTEXT_HEX }),
    ),
    submittedAt: time(o.submittedAt, 'indicatorDay.submittedAt'),
  };
}
