// SPDX-License-Identifier: Apache-2.0
/**
 * The institution's output (docs/protocol.md §21.5): the study's aggregates and its pseudonymous
 * series decrypted with the study key (§20.5, bound 2^36), and the series exported as CSV or
 * NDJSON: per pseudonym and period the mean of each indicator (sum / days / scale), a period's
 * cells only when at least k participants have readings in it.
 */
import { fromHex } from '@medshare/crypto/bytes';
import { twistedDecrypt } from '@medshare/crypto/zk';
import {
  fail,
  INDICATOR_SUM_BITS,
  type IndicatorAggregatesResult,
  type IndicatorSeriesItem,
  type IndicatorSpec,
  type IndicatorStudyDefinition,
} from '@medshare/protocol';

export const INDICATOR_EXPORT_FORMATS = ['csv', 'ndjson'] as const;
export type IndicatorExportFormat = (typeof INDICATOR_EXPORT_FORMATS)[number];

/** Decrypts a sum (aggregate hex) to its scaled integer; a sum that does not decrypt is an answer the SDK cannot use (INTERNAL, as parseResult says of a malformed result). */
export function decryptSum(secretKey: Uint8Array, aggregate: string, what: string): bigint {
  try {
    return twistedDecrypt(secretKey, fromHex(aggregate), INDICATOR_SUM_BITS);
  } catch (cause) {
    throw fail('INTERNAL', `${what} does not decrypt under the study key below 2^${INDICATOR_SUM_BITS}`, cause);
  }
}

/** The mean in the indicator's unit, rounded to one decimal more than its scale gives. */
export function meanOf(spec: IndicatorSpec, sum: bigint, count: number): number {
  const digits = Math.round(Math.log10(spec.scale)) + 1;
  const factor = 10 ** digits;
  return Math.round((Number(sum) / count / spec.scale) * factor) / factor;
}

export interface DecryptedAggregate {
  readonly name: string;
  readonly unit: string;
  readonly participants: number;
  readonly readings: number;
  /** The scaled sum, or null when the contract withheld it (fewer than k participants). */
  readonly sum: bigint | null;
  /** The mean reading in the unit, or null. */
  readonly mean: number | null;
}

export interface DecryptedAggregates {
  readonly studyId: string;
  readonly k: number;
  readonly participants: number;
  readonly asOf: number;
  readonly indicators: DecryptedAggregate[];
}

export function decryptAggregates(
  study: Pick<IndicatorStudyDefinition, 'indicators'>,
  result: IndicatorAggregatesResult,
  secretKey: Uint8Array,
): DecryptedAggregates {
  const indicators = study.indicators.map((spec, i) => {
    const a = result.indicators[i];
    if (!a || a.name !== spec.name)
      throw fail('INTERNAL', `the aggregates do not list the study's indicator ${spec.name} in place ${i}`);
    const sum = a.sum === null ? null : decryptSum(secretKey, a.sum, `the sum of ${spec.name}`);
    return {
      name: spec.name,
      unit: spec.unit,
      participants: a.participants,
      readings: a.readings,
      sum,
      mean: sum === null || a.readings === 0 ? null : meanOf(spec, sum, a.readings),
    };
  });
  return { studyId: result.studyId, k: result.k, participants: result.participants, asOf: result.asOf, indicators };
}

/** One participant's period, decrypted: the days with readings and the mean of each indicator. */
export interface SeriesRow {
  readonly pseudonym: string;
  readonly period: number;
  readonly days: number;
  readonly means: Readonly<Record<string, number>>;
}

export function decryptSeries(
  study: Pick<IndicatorStudyDefinition, 'indicators'>,
  items: readonly IndicatorSeriesItem[],
  secretKey: Uint8Array,
): SeriesRow[] {
  return items.flatMap((item) =>
    item.periods.map((p) => {
      if (p.sums.length !== study.indicators.length)
        throw fail('INTERNAL', `a period of ${item.pseudonym} has ${p.sums.length} sums`);
      const means = Object.fromEntries(
        study.indicators.map((spec, i) => [
          spec.name,
          meanOf(spec, decryptSum(secretKey, p.sums[i] as string, `${item.pseudonym}'s ${spec.name}`), p.days),
        ]),
      );
      return { pseudonym: item.pseudonym, period: p.period, days: p.days, means };
    }),
  );
}

export interface SeriesReport {
  readonly k: number;
  readonly participants: number;
  readonly rowsKept: number;
  readonly rowsSuppressed: number;
  /** Periods released, and those withheld for having fewer than k participants with readings. */
  readonly periodsKept: number[];
  readonly periodsSuppressed: number[];
}

/** Keeps the rows of periods in which at least k participants have readings. */
export function suppressSeries(rows: readonly SeriesRow[], k: number): { rows: SeriesRow[]; report: SeriesReport } {
  const byPeriod = new Map<number, Set<string>>();
  for (const r of rows) if (r.days > 0) byPeriod.set(r.period, (byPeriod.get(r.period) ?? new Set()).add(r.pseudonym));
  const periods = [...byPeriod.keys()].sort((a, b) => a - b);
  const kept = new Set(periods.filter((p) => (byPeriod.get(p) as Set<string>).size >= k));
  const released = rows
    .filter((r) => kept.has(r.period))
    .sort((a, b) => (a.pseudonym < b.pseudonym ? -1 : a.pseudonym > b.pseudonym ? 1 : a.period - b.period));
  return {
    rows: released,
    report: {
      k,
      participants: new Set(rows.map((r) => r.pseudonym)).size,
      rowsKept: released.length,
      rowsSuppressed: rows.length - released.length,
      periodsKept: periods.filter((p) => kept.has(p)),
      periodsSuppressed: periods.filter((p) => !kept.has(p)),
    },
  };
}

/** The export's columns: pseudonym, period, days, then each indicator's mean as `name (unit)`. */
function header(study: Pick<IndicatorStudyDefinition, 'indicators'>): string[] {
  return ['pseudonym', 'period', 'days', ...study.indicators.map((s) => `${s.name} (${s.unit})`)];
}

/** RFC 4180 §2: a field with a comma, a double quote, CR or LF is quoted, its quotes doubled. */
function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function seriesToCsv(study: Pick<IndicatorStudyDefinition, 'indicators'>, rows: readonly SeriesRow[]): string {
  const lines = [
    header(study),
    ...rows.map((r) => [
      r.pseudonym,
      String(r.period),
      String(r.days),
      ...study.indicators.map((s) => String(r.means[s.name])),
    ]),
  ];
  return lines.map((l) => `${l.map(csvField).join(',')}\r\n`).join('');
}

export function seriesToNdjson(
  study: Pick<IndicatorStudyDefinition, 'indicators'>,
  rows: readonly SeriesRow[],
): string {
  return rows
    .map((r) => {
      const means = Object.fromEntries(study.indicators.map((s) => [s.name, r.means[s.name]]));
      return `${JSON.stringify({ pseudonym: r.pseudonym, period: r.period, days: r.days, means })}\n`;
    })
    .join('');
}

export interface IndicatorExport {
  readonly format: IndicatorExportFormat;
  readonly content: string;
  readonly report: SeriesReport;
}

/** The k-suppressed export of decrypted series rows. */
export function exportSeries(
  study: Pick<IndicatorStudyDefinition, 'indicators' | 'output'>,
  rows: readonly SeriesRow[],
  format: IndicatorExportFormat,
): IndicatorExport {
  const { rows: kept, report } = suppressSeries(rows, study.output.k);
  const content = format === 'csv' ? seriesToCsv(study, kept) : seriesToNdjson(study, kept);
  return { format, content, report };
}
