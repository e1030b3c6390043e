// SPDX-License-Identifier: Apache-2.0
import { toHex } from '@medshare/crypto/bytes';
import { twistedAdd, twistedEncrypt } from '@medshare/crypto/zk';
import type { IndicatorAggregatesResult, IndicatorSeriesItem } from '@medshare/protocol';
import { hypertensionStudy } from '../testing/indicator-fixtures';
import { decryptAggregates, decryptSeries, exportSeries, suppressSeries, type SeriesRow } from './output';

describe("the institution's output (docs/protocol.md §21.5)", () => {
  const { study, secretKey } = hypertensionStudy();
  const pk = Buffer.from(study.publicKey, 'hex');
  const sumOf = (...values: number[]): string =>
    toHex(twistedAdd(...values.map((v) => twistedEncrypt(pk, BigInt(v)).ciphertext)));

  it('decrypts the aggregates to sums and means; a withheld sum stays null', () => {
    const result: IndicatorAggregatesResult = {
      studyId: '1'.repeat(64),
      k: 5,
      participants: 5,
      asOf: 0,
      indicators: [
        { name: 'systolic', participants: 5, readings: 4, sum: sumOf(120, 130, 140, 151) },
        { name: 'diastolic', participants: 5, readings: 4, sum: sumOf(80, 80, 81, 81) },
        { name: 'heartRate', participants: 4, readings: 3, sum: null },
      ],
    };
    const d = decryptAggregates(study, result, secretKey);
    expect(d.indicators.map((i) => [i.name, i.sum, i.mean])).toEqual([
      ['systolic', 541n, 135.3],
      ['diastolic', 322n, 80.5],
      ['heartRate', null, null],
    ]);
    const swapped = { ...result, indicators: [result.indicators[1]!, result.indicators[0]!, result.indicators[2]!] };
    expect(() => decryptAggregates(study, swapped, secretKey)).toThrow(expect.objectContaining({ code: 'INTERNAL' }));
  });

  it('a sum under another key does not decrypt: INTERNAL, never a wrong mean', () => {
    const other = hypertensionStudy();
    const items: IndicatorSeriesItem[] = [
      { pseudonym: 'a'.repeat(32), periods: [{ period: 0, days: 1, sums: [sumOf(120), sumOf(80), sumOf(60)] }] },
    ];
    expect(() => decryptSeries(study, items, other.secretKey)).toThrow(expect.objectContaining({ code: 'INTERNAL' }));
  });

  const row = (p: string, period: number, days = 2): SeriesRow => ({
    pseudonym: p.repeat(32),
    period,
    days,
    means: { systolic: 130 + period, diastolic: 80, heartRate: 70.5 },
  });

  it('keeps a period only when at least k participants have readings in it', () => {
    // period 1: five participants; period 0: four
    const rows = ['a', 'b', 'c', 'd', 'e'].flatMap((p) => (p === 'e' ? [row(p, 1)] : [row(p, 0), row(p, 1)]));
    const { rows: kept, report } = suppressSeries(rows, 5);
    expect(report).toEqual({
      k: 5,
      participants: 5,
      rowsKept: 5,
      rowsSuppressed: 4,
      periodsKept: [1],
      periodsSuppressed: [0],
    });
    expect(kept.every((r) => r.period === 1)).toBe(true);
    expect(suppressSeries(rows, 4).report.rowsSuppressed).toBe(0);
    expect(suppressSeries(rows.slice(0, 3), 5).rows).toEqual([]);
  });

  it('decrypts the series and exports CSV (RFC 4180) and NDJSON with the means per period', () => {
    const items: IndicatorSeriesItem[] = ['a', 'b', 'c', 'd', 'e'].map((p, i) => ({
      pseudonym: p.repeat(32),
      periods: [{ period: 1, days: 2, sums: [sumOf(120, 131 + i), sumOf(80, 84), sumOf(60, 61)] }],
    }));
    const rows = decryptSeries(study, items, secretKey);
    expect(rows[0]).toEqual({
      pseudonym: 'a'.repeat(32),
      period: 1,
      days: 2,
      means: { systolic: 125.5, diastolic: 82, heartRate: 60.5 },
    });
    const csv = exportSeries(study, rows, 'csv');
    expect(csv.content.split('\r\n').slice(0, 2)).toEqual([
      'pseudonym,period,days,systolic (mmHg),diastolic (mmHg),heartRate (bpm)',
      `${'a'.repeat(32)},1,2,125.5,82,60.5`,
    ]);
    expect(csv.report.rowsKept).toBe(5);
    const ndjson = exportSeries(study, rows, 'ndjson');
    expect(
      ndjson.content
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l) as unknown)[4],
    ).toEqual({
      pseudonym: 'e'.repeat(32),
      period: 1,
      days: 2,
      means: { systolic: 127.5, diastolic: 82, heartRate: 60.5 },
    });
    expect(exportSeries(study, rows.slice(0, 4), 'csv').content).toBe(
      'pseudonym,period,days,systolic (mmHg),diastolic (mmHg),heartRate (bpm)\r\n',
    );
  });
});
