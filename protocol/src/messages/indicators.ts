// SPDX-License-Identifier: Apache-2.0
/**
 * Bodies and results of the indicator operations (docs/protocol.md §21): indicator studies, joins
 * with a zero-knowledge keyword match, range-checked twisted ElGamal submissions, leaving, and the
 * institution's aggregates and pseudonymous series. Formats only: points and proofs are decoded
 * and verified by the contract (and the apps) with @medshare/crypto/zk.
 */
import { fail } from '../errors/medshare-error';
import {
  INDICATOR_MAX_DAYS,
  parseIndicatorStudyDefinition,
  parseIndicatorStudyInput,
  type IndicatorStudyDefinition,
  type IndicatorStudyInput,
} from '../indicators/study';
import { expectInteger, expectObject, expectString } from '../validation/assert';
import { hex64, parsePageBody } from './bodies';
import { page } from './research';

/** A twisted ElGamal ciphertext `X ‖ Y` (§20.5): 66 bytes, 132 hex. */
export const CIPHERTEXT_HEX = /^0[23][0-9a-f]{64}0[23][0-9a-f]{64}$/;
/** An aggregate: a ciphertext whose halves may be the identity (33 zero bytes). */
export const AGGREGATE_HEX = /^(?:0[23][0-9a-f]{64}|0{66})(?:0[23][0-9a-f]{64}|0{66})$/;
/** A participant's pseudonym: 32 hex. */
export const PSEUDONYM = /^[0-9a-f]{32}$/;
/** Most participants a series page returns. */
export const SERIES_MAX_PAGE = 20;
/**
 * Most readings (participants × window days × indicators) one series page sums: a page of a study
 * with long windows and many indicators serves fewer participants than asked (its bookmark goes on).
 */
export const SERIES_PAGE_CELLS = 4096;
/** Most ciphertexts a submission carries (the validity proof's bound, §20.6). */
export const SUBMISSION_MAX_CIPHERTEXTS = 64;

const time = (v: unknown, n: string): number => expectInteger(v, n);
const day = (v: unknown, n: string): number => expectInteger(v, n, 0, 1_000_000 + INDICATOR_MAX_DAYS);

function hexBytes(value: unknown, name: string, minBytes: number, maxBytes: number): string {
  const text = expectString(value, name, { maxLength: 2 * maxBytes, pattern: /^(?:[0-9a-f]{2})+$/ });
  if (text.length < 2 * minBytes) throw fail('INVALID_INPUT', `${name} must be ${minBytes}…${maxBytes} bytes of hex`);
  return text;
}

function listOf<T>(value: unknown, name: string, min: number, max: number, item: (v: unknown, n: string) => T): T[] {
  if (!Array.isArray(value) || value.length < min || value.length > max)
    throw fail('INVALID_INPUT', `${name} must be an array of ${min}…${max} entries`);
  return value.map((v: unknown, i: number) => item(v, `${name}[${i}]`));
}

// ---- bodies ----------------------------------------------------------------------------------

export type IndicatorStudyPublishBody = { readonly study: IndicatorStudyInput };
export type IndicatorJoinBody = {
  readonly studyId: string;
  readonly recordId: string;
  /** The membership proof (§20.4) for the study's keywords, hex. */
  readonly proof: string;
};
export type IndicatorDay = {
  readonly day: number;
  /** One ciphertext per indicator, in the study's order. */
  readonly readings: readonly string[];
};
export type IndicatorSubmitBody = {
  readonly studyId: string;
  /** Ascending, distinct days; exactly one when the study checks each value. */
  readonly days: readonly IndicatorDay[];
  /** The validity proof (§20.6) over every reading in order, hex (130 bytes). */
  readonly validity: string;
  /** The range proof (§20.7), hex. */
  readonly range: string;
};
export type IndicatorSeriesBody = { readonly studyId: string; readonly pageSize: number; readonly bookmark: string };

export function parseIndicatorStudyPublishBody(value: unknown, name: string): IndicatorStudyPublishBody {
  const o = expectObject(value, name, ['study']);
  return { study: parseIndicatorStudyInput(o.study, `${name}.study`) };
}

export function parseIndicatorJoinBody(value: unknown, name: string): IndicatorJoinBody {
  const o = expectObject(value, name, ['studyId', 'recordId', 'proof']);
  return {
    studyId: hex64(o.studyId, `${name}.studyId`),
    recordId: hex64(o.recordId, `${name}.recordId`),
    // 97·m − 32 bytes for m = 1 … 64 keywords.
    proof: hexBytes(o.proof, `${name}.proof`, 65, 97 * 64 - 32),
  };
}

function parseDay(value: unknown, name: string): IndicatorDay {
  const o = expectObject(value, name, ['day', 'readings']);
  return {
    day: day(o.day, `${name}.day`),
    readings: listOf(o.readings, `${name}.readings`, 1, 8, (v, n) => expectString(v, n, { pattern: CIPHERTEXT_HEX })),
  };
}

export function parseIndicatorSubmitBody(value: unknown, name: string): IndicatorSubmitBody {
  const o = expectObject(value, name, ['studyId', 'days', 'validity', 'range']);
  const days = listOf(o.days, `${name}.days`, 1, INDICATOR_MAX_DAYS, parseDay);
  for (const [i, d] of days.entries()) {
    if (i > 0 && d.day <= (days[i - 1] as IndicatorDay).day)
      throw fail('INVALID_INPUT', `${name}.days[${i}].day must be after ${name}.days[${i - 1}].day`);
  }
  const count = days.reduce((sum, d) => sum + d.readings.length, 0);
  if (count > SUBMISSION_MAX_CIPHERTEXTS)
    throw fail('INVALID_INPUT', `${name}.days must hold at most ${SUBMISSION_MAX_CIPHERTEXTS} readings in all`);
  return {
    studyId: hex64(o.studyId, `${name}.studyId`),
    days,
    validity: hexBytes(o.validity, `${name}.validity`, 130, 130),
    // 292 + 66·k bytes, k = log2(N) ≤ 10.
    range: hexBytes(o.range, `${name}.range`, 292 + 66 * 3, 292 + 66 * 10),
  };
}

export function parseIndicatorSeriesBody(value: unknown, name: string): IndicatorSeriesBody {
  const o = expectObject(value, name, ['studyId', 'pageSize', 'bookmark']);
  const { bookmark: mark } = parsePageBody({ pageSize: 1, bookmark: o.bookmark }, name);
  return {
    studyId: hex64(o.studyId, `${name}.studyId`),
    pageSize: expectInteger(o.pageSize, `${name}.pageSize`, 1, SERIES_MAX_PAGE),
    bookmark: mark,
  };
}

// ---- results ---------------------------------------------------------------------------------

export type IndicatorStudyPublishResult = {
  readonly studyId: string;
  readonly institutionKeyId: string;
  readonly publishedAt: number;
};
export type IndicatorStudyResult = IndicatorStudyPublishResult & {
  readonly study: IndicatorStudyDefinition;
  /** Joins and submissions are taken (until the day after the window's last day). */
  readonly open: boolean;
  /** Participants joined and not left. */
  readonly participants: number;
};
export type IndicatorStudyListResult = { readonly studies: IndicatorStudyResult[]; readonly bookmark: string };
export type IndicatorJoinResult = { readonly studyId: string; readonly pseudonym: string; readonly joinedAt: number };
export type IndicatorSubmitResult = {
  readonly studyId: string;
  readonly pseudonym: string;
  readonly days: number[];
  readonly submittedAt: number;
};
export type IndicatorLeaveResult = {
  readonly studyId: string;
  readonly pseudonym: string;
  readonly removedDays: number;
  readonly leftAt: number;
};
export type IndicatorAggregate = {
  readonly name: string;
  /** Participants with at least one reading of it. */
  readonly participants: number;
  readonly readings: number;
  /** The homomorphic sum of every accepted reading (aggregate hex), or null below k participants. */
  readonly sum: string | null;
};
export type IndicatorAggregatesResult = {
  readonly studyId: string;
  readonly k: number;
  readonly participants: number;
  readonly indicators: IndicatorAggregate[];
  readonly asOf: number;
};
export type IndicatorPeriod = {
  /** The release period (§21.5): a day offset, a week of the window, or 0 for the whole window. */
  readonly period: number;
  /** Days with readings in the period. */
  readonly days: number;
  /** Per indicator, the sum of the period's readings (aggregate hex). */
  readonly sums: string[];
};
export type IndicatorSeriesItem = { readonly pseudonym: string; readonly periods: IndicatorPeriod[] };
export type IndicatorSeriesResult = {
  readonly studyId: string;
  readonly participants: IndicatorSeriesItem[];
  readonly bookmark: string;
};

const aggregate = (v: unknown, n: string): string => expectString(v, n, { pattern: AGGREGATE_HEX });

export function parseIndicatorStudyPublishResult(value: unknown, name: string): IndicatorStudyPublishResult {
  const o = expectObject(value, name, ['studyId', 'institutionKeyId', 'publishedAt']);
  return {
    studyId: hex64(o.studyId, `${name}.studyId`),
    institutionKeyId: hex64(o.institutionKeyId, `${name}.institutionKeyId`),
    publishedAt: time(o.publishedAt, `${name}.publishedAt`),
  };
}

export function parseIndicatorStudyResult(value: unknown, name: string): IndicatorStudyResult {
  const o = expectObject(value, name, ['studyId', 'institutionKeyId', 'study', 'publishedAt', 'open', 'participants']);
  if (typeof o.open !== 'boolean') throw fail('INVALID_INPUT', `${name}.open must be a boolean`);
  return {
    ...parseIndicatorStudyPublishResult(
      { studyId: o.studyId, institutionKeyId: o.institutionKeyId, publishedAt: o.publishedAt },
      name,
    ),
    study: parseIndicatorStudyDefinition(o.study, `${name}.study`),
    open: o.open,
    participants: expectInteger(o.participants, `${name}.participants`),
  };
}

export function parseIndicatorStudyListResult(value: unknown, name: string): IndicatorStudyListResult {
  return page(value, name, 'studies', parseIndicatorStudyResult);
}

export function parseIndicatorJoinResult(value: unknown, name: string): IndicatorJoinResult {
  const o = expectObject(value, name, ['studyId', 'pseudonym', 'joinedAt']);
  return {
    studyId: hex64(o.studyId, `${name}.studyId`),
    pseudonym: expectString(o.pseudonym, `${name}.pseudonym`, { pattern: PSEUDONYM }),
    joinedAt: time(o.joinedAt, `${name}.joinedAt`),
  };
}

export function parseIndicatorSubmitResult(value: unknown, name: string): IndicatorSubmitResult {
  const o = expectObject(value, name, ['studyId', 'pseudonym', 'days', 'submittedAt']);
  return {
    studyId: hex64(o.studyId, `${name}.studyId`),
    pseudonym: expectString(o.pseudonym, `${name}.pseudonym`, { pattern: PSEUDONYM }),
    days: listOf(o.days, `${name}.days`, 1, INDICATOR_MAX_DAYS, day),
    submittedAt: time(o.submittedAt, `${name}.submittedAt`),
  };
}

export function parseIndicatorLeaveResult(value: unknown, name: string): IndicatorLeaveResult {
  const o = expectObject(value, name, ['studyId', 'pseudonym', 'removedDays', 'leftAt']);
  return {
    studyId: hex64(o.studyId, `${name}.studyId`),
    pseudonym: expectString(o.pseudonym, `${name}.pseudonym`, { pattern: PSEUDONYM }),
    removedDays: expectInteger(o.removedDays, `${name}.removedDays`, 0, INDICATOR_MAX_DAYS),
    leftAt: time(o.leftAt, `${name}.leftAt`),
  };
}

function parseAggregate(value: unknown, name: string): IndicatorAggregate {
  const o = expectObject(value, name, ['name', 'participants', 'readings', 'sum']);
  return {
    name: expectString(o.name, `${name}.name`, { maxLength: 32 }),
    participants: expectInteger(o.participants, `${name}.participants`),
    readings: expectInteger(o.readings, `${name}.readings`),
    sum: o.sum === null ? null : aggregate(o.sum, `${name}.sum`),
  };
}

export function parseIndicatorAggregatesResult(value: unknown, name: string): IndicatorAggregatesResult {
  const o = expectObject(value, name, ['studyId', 'k', 'participants', 'indicators', 'asOf']);
  return {
    studyId: hex64(o.studyId, `${name}.studyId`),
    k: expectInteger(o.k, `${name}.k`, 2, 100),
    participants: expectInteger(o.participants, `${name}.participants`),
    indicators: listOf(o.indicators, `${name}.indicators`, 1, 8, parseAggregate),
    asOf: time(o.asOf, `${name}.asOf`),
  };
}

function parsePeriod(value: unknown, name: string): IndicatorPeriod {
  const o = expectObject(value, name, ['period', 'days', 'sums']);
  return {
    period: expectInteger(o.period, `${name}.period`, 0, INDICATOR_MAX_DAYS),
    days: expectInteger(o.days, `${name}.days`, 1, INDICATOR_MAX_DAYS),
    sums: listOf(o.sums, `${name}.sums`, 1, 8, aggregate),
  };
}

function parseSeriesItem(value: unknown, name: string): IndicatorSeriesItem {
  const o = expectObject(value, name, ['pseudonym', 'periods']);
  return {
    pseudonym: expectString(o.pseudonym, `${name}.pseudonym`, { pattern: PSEUDONYM }),
    periods: listOf(o.periods, `${name}.periods`, 0, INDICATOR_MAX_DAYS, parsePeriod),
  };
}

export function parseIndicatorSeriesResult(value: unknown, name: string): IndicatorSeriesResult {
  const o = expectObject(value, name, ['studyId', 'participants', 'bookmark']);
  return {
    studyId: hex64(o.studyId, `${name}.studyId`),
    ...page({ participants: o.participants, bookmark: o.bookmark }, name, 'participants', parseSeriesItem),
  };
}
