// SPDX-License-Identifier: Apache-2.0
import { fail } from '../errors/medshare-error';
import { expectInteger, expectObject, expectOneOf, expectString } from '../validation/assert';

/**
 * An indicator study (docs/protocol.md §21): what an approved institution publishes for patients'
 * daily indicators — the keyword requirement (the diagnosis codes a participant's hospital must
 * have committed to), the indicators with their units and reasonable ranges, the window, how
 * values are checked, the output rules, and the study's twisted ElGamal public key (§20.5). The
 * chaincode parses it on publication and every app parses it again before proving anything.
 */

export const INDICATOR_CHECKS = ['value', 'mean'] as const;
export type IndicatorCheck = (typeof INDICATOR_CHECKS)[number];
export const INDICATOR_GRANULARITIES = ['day', 'week', 'window'] as const;
export type IndicatorGranularity = (typeof INDICATOR_GRANULARITIES)[number];
export const INDICATOR_SCALES = [1, 10, 100, 1000] as const;

export type IndicatorSpec = {
  /** `^[a-z][A-Za-z0-9]{0,31}$`, e.g. `systolic`, `heartRate`; distinct within the study. */
  readonly name: string;
  /** The unit of the decoded value, e.g. `mmHg`, `mmol/L` (1…16 printable ASCII characters). */
  readonly unit: string;
  /** Values travel as integers `round(value · scale)`: glucose 5.6 mmol/L at scale 10 is 56. */
  readonly scale: (typeof INDICATOR_SCALES)[number];
  /** The reasonable range, inclusive, in scaled integers: `0 ≤ lo ≤ hi ≤ 2³² − 1`. */
  readonly lo: number;
  readonly hi: number;
};

export type IndicatorWindow = {
  /** The first day, as a UTC day number (⌊ms / 86,400,000⌋). */
  readonly startDay: number;
  /** 1…366 days. */
  readonly days: number;
};

export type IndicatorOutput = {
  /** Per-participant series are released per day, per week of the window, or once for the window. */
  readonly granularity: IndicatorGranularity;
  /** No per-participant output while fewer than k have joined, no aggregate of fewer than k: 2…100. */
  readonly k: number;
};

export type IndicatorStudyDefinition = {
  readonly title: string;
  /** The keyword requirement: 1…64 distinct normalized codes (`^[A-Z0-9][A-Z0-9.-]{0,19}$`). */
  readonly keywords: readonly string[];
  readonly indicators: readonly IndicatorSpec[];
  readonly window: IndicatorWindow;
  /** `value`: every reading is range-checked; `mean`: the sum of a submission's days per indicator. */
  readonly check: IndicatorCheck;
  readonly output: IndicatorOutput;
  /** 1…10,000 (default 1,000). */
  readonly maxParticipants: number;
  /** The study's twisted ElGamal public key `sk·H`, compressed (66 hex). */
  readonly publicKey: string;
};

/** As the institution sends it (`indicator-study-publish`): `output.k` and `maxParticipants` may be absent. */
export type IndicatorStudyInput = Omit<IndicatorStudyDefinition, 'output' | 'maxParticipants'> & {
  readonly output: Omit<IndicatorOutput, 'k'> & { readonly k?: number };
  readonly maxParticipants?: number;
};

export const INDICATOR_DEFAULT_K = 5;
export const INDICATOR_DEFAULT_MAX_PARTICIPANTS = 1000;
export const INDICATOR_MAX_PARTICIPANTS = 2_000;
export const INDICATOR_MAX_INDICATORS = 8;
export const INDICATOR_MAX_KEYWORDS = 64;
export const INDICATOR_MAX_DAYS = 366;
export const INDICATOR_VALUE_MAX = 2 ** 32 - 1;
/** Sums the institution decrypts (§20.5) must stay below 2^36: maxParticipants · days · hi < 2^36. */
export const INDICATOR_SUM_BITS = 36;
export const DAY_MS = 86_400_000;

export const KEYWORD_CODE = /^[A-Z0-9][A-Z0-9.-]{0,19}$/;
const INDICATOR_NAME = /^[a-z][A-Za-z0-9]{0,31}$/;
const UNIT = /^[\x21-\x7e][\x20-\x7e]{0,15}$/;
/** A compressed SM2 point, as hex (§20.1): its curve membership is the contract's and the app's check. */
export const COMPRESSED_POINT = /^0[23][0-9a-f]{64}$/;

/** The UTC day number of a time in ms. */
export function dayOf(ms: number): number {
  return Math.floor(ms / DAY_MS);
}

/** The window's last day (inclusive). */
export function lastDay(window: IndicatorWindow): number {
  return window.startDay + window.days - 1;
}

function parseIndicator(value: unknown, name: string): IndicatorSpec {
  const o = expectObject(value, name, ['name', 'unit', 'scale', 'lo', 'hi']);
  const scale = o.scale;
  if (!INDICATOR_SCALES.includes(scale as (typeof INDICATOR_SCALES)[number]))
    throw fail('INVALID_INPUT', `${name}.scale must be one of ${INDICATOR_SCALES.join(', ')}`);
  if (!Number.isSafeInteger(o.lo) || !Number.isSafeInteger(o.hi))
    throw fail('INDICATOR_RANGE_INVALID', `${name}.lo and ${name}.hi must be integers`);
  const lo = o.lo as number;
  const hi = o.hi as number;
  if (lo < 0 || hi > INDICATOR_VALUE_MAX || lo > hi)
    throw fail('INDICATOR_RANGE_INVALID', `${name} must have 0 ≤ lo ≤ hi ≤ ${INDICATOR_VALUE_MAX}, got [${lo}, ${hi}]`);
  return {
    name: expectString(o.name, `${name}.name`, { pattern: INDICATOR_NAME }),
    unit: expectString(o.unit, `${name}.unit`, { pattern: UNIT }),
    scale: scale as IndicatorSpec['scale'],
    lo,
    hi,
  };
}

function distinct<T>(items: readonly T[], key: (item: T) => string, name: string, what: string): void {
  const seen = new Set<string>();
  for (const [i, item] of items.entries()) {
    const k = key(item);
    if (seen.has(k)) throw fail('INVALID_INPUT', `${name}[${i}] repeats the ${what} "${k}"`);
    seen.add(k);
  }
}

function parseList<T>(value: unknown, name: string, max: number, parse: (v: unknown, n: string) => T): T[] {
  if (!Array.isArray(value) || value.length < 1 || value.length > max)
    throw fail('INVALID_INPUT', `${name} must be an array of 1…${max} entries`);
  return value.map((v: unknown, i: number) => parse(v, `${name}[${i}]`));
}

/** Parses an indicator study as sent, exactly as signed: nothing is filled in (see completeIndicatorStudy). */
export function parseIndicatorStudyInput(value: unknown, name = 'study'): IndicatorStudyInput {
  const o = expectObject(value, name, [
    'title',
    'keywords',
    'indicators',
    'window',
    'check',
    'output',
    'maxParticipants',
    'publicKey',
  ]);
  const keywords = parseList(o.keywords, `${name}.keywords`, INDICATOR_MAX_KEYWORDS, (v, n) =>
    expectString(v, n, { pattern: KEYWORD_CODE }),
  );
  distinct(keywords, (k) => k, `${name}.keywords`, 'keyword');
  const indicators = parseList(o.indicators, `${name}.indicators`, INDICATOR_MAX_INDICATORS, parseIndicator);
  distinct(indicators, (i) => i.name, `${name}.indicators`, 'name');
  const w = expectObject(o.window, `${name}.window`, ['startDay', 'days']);
  const window = {
    startDay: expectInteger(w.startDay, `${name}.window.startDay`, 0, 1_000_000),
    days: expectInteger(w.days, `${name}.window.days`, 1, INDICATOR_MAX_DAYS),
  };
  const check = expectOneOf(o.check, `${name}.check`, INDICATOR_CHECKS);
  const out = expectObject(o.output, `${name}.output`, ['granularity', 'k']);
  const granularity = expectOneOf(out.granularity, `${name}.output.granularity`, INDICATOR_GRANULARITIES);
  if (check === 'mean' && granularity !== 'window')
    throw fail(
      'INVALID_INPUT',
      `${name}.output.granularity must be "window" when ${name}.check is "mean" (only sums are range-checked)`,
    );
  const maxParticipants =
    o.maxParticipants === undefined
      ? undefined
      : expectInteger(o.maxParticipants, `${name}.maxParticipants`, 1, INDICATOR_MAX_PARTICIPANTS);
  const participants = maxParticipants ?? INDICATOR_DEFAULT_MAX_PARTICIPANTS;
  const k = out.k === undefined ? undefined : expectInteger(out.k, `${name}.output.k`, 2, 100);
  if ((k ?? INDICATOR_DEFAULT_K) > participants)
    throw fail(
      'INVALID_INPUT',
      `${name}.output.k (${k ?? INDICATOR_DEFAULT_K}) must not exceed ${name}.maxParticipants (${participants}): nothing could ever be released`,
    );
  for (const [i, spec] of indicators.entries()) {
    if (participants * window.days * spec.hi >= 2 ** INDICATOR_SUM_BITS)
      throw fail(
        'INDICATOR_RANGE_INVALID',
        `${name}.indicators[${i}]: maxParticipants · days · hi must stay below 2^${INDICATOR_SUM_BITS} (the sums' decryption bound)`,
      );
  }
  return {
    title: expectString(o.title, `${name}.title`, { maxLength: 200, pattern: /^\S/ }),
    keywords,
    indicators,
    window,
    check,
    output: {
      granularity,
      ...(k === undefined ? {} : { k }),
    },
    ...(maxParticipants === undefined ? {} : { maxParticipants }),
    publicKey: expectString(o.publicKey, `${name}.publicKey`, { pattern: COMPRESSED_POINT }),
  };
}

/** The definition with its defaults (what the ledger stores): k 5, maxParticipants 1,000. */
export function completeIndicatorStudy(input: IndicatorStudyInput): IndicatorStudyDefinition {
  return {
    ...input,
    output: { granularity: input.output.granularity, k: input.output.k ?? INDICATOR_DEFAULT_K },
    maxParticipants: input.maxParticipants ?? INDICATOR_DEFAULT_MAX_PARTICIPANTS,
  };
}

export function parseIndicatorStudyDefinition(value: unknown, name = 'study'): IndicatorStudyDefinition {
  return completeIndicatorStudy(parseIndicatorStudyInput(value, name));
}

/** The smallest range-proof bit length (§20.7) that covers every `[lo, hi]`: 8, 16, 32 or 64. */
export function rangeBits(
  ranges: readonly { readonly lo: number | bigint; readonly hi: number | bigint }[],
): 8 | 16 | 32 | 64 {
  let width = 0n;
  for (const r of ranges) {
    const w = BigInt(r.hi) - BigInt(r.lo);
    if (w > width) width = w;
  }
  for (const bits of [8, 16, 32, 64] as const) if (width < 1n << BigInt(bits)) return bits;
  throw fail('INDICATOR_RANGE_INVALID', 'a range is wider than 2^64');
}

/**
 * The ranges a submission's range proof covers, one per indicator in the study's order: each
 * reading's `[lo, hi]` (check `value`, one day), or the sum of `d` days' `[d·lo, d·hi]` (check `mean`).
 */
export function submissionRanges(
  study: Pick<IndicatorStudyDefinition, 'indicators' | 'check'>,
  dayCount: number,
): { lo: bigint; hi: bigint }[] {
  const d = BigInt(study.check === 'mean' ? dayCount : 1);
  return study.indicators.map((spec) => ({ lo: BigInt(spec.lo) * d, hi: BigInt(spec.hi) * d }));
}

/** The release period of a day (§21.5): its offset in the window, its week, or 0 for the whole window. */
export function periodOf(study: Pick<IndicatorStudyDefinition, 'window' | 'output'>, day: number): number {
  const offset = day - study.window.startDay;
  switch (study.output.granularity) {
    case 'day':
      return offset;
    case 'week':
      return Math.floor(offset / 7);
    case 'window':
      return 0;
  }
}
