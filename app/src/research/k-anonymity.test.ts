// SPDX-License-Identifier: Apache-2.0
import fc from 'fast-check';
import { canonicalize, parseStudyDefinition, type ReleasedValue } from '@medshare/protocol';
import { kAnonymize, type DatasetRow } from './k-anonymity';

const study = parseStudyDefinition({
  title: 'k test',
  fields: [
    { field: 'age', rule: 'band', width: 10 },
    { field: 'sex', rule: 'keep' },
    { field: 'diagnosis', rule: 'keep' },
  ],
  k: 3,
});

const row = (age: ReleasedValue, sex: ReleasedValue, diagnosis: ReleasedValue = 'I10'): DatasetRow => ({
  source: 'medshare-json',
  values: { age, sex, diagnosis },
});
const repeat = (n: number, r: DatasetRow): DatasetRow[] => Array.from({ length: n }, () => r);

describe('k-anonymity over the study’s quasi-identifiers', () => {
  it('suppresses a group of k−1 and releases a group of exactly k, grouping by quasi-identifiers only', () => {
    const rows = [
      ...repeat(2, row('30-39', 'female')),
      row('40-49', 'male', 'E11'),
      row('40-49', 'male', 'I10'),
      row('40-49', 'male', 'J45'),
    ];
    const result = kAnonymize(study, rows);
    expect(result.suppressed).toBe(2);
    expect(result.rows).toHaveLength(3);
    expect(result.rows.every((r) => r.values.age === '40-49')).toBe(true);
    expect(result.groups).toBe(1);
    expect(result.kReached).toBe(3);
  });

  it('reports the smallest released group, null when nothing is released, and treats null as a value', () => {
    const rows = [...repeat(5, row('30-39', 'female')), ...repeat(3, row(null, 'male')), ...repeat(3, row(null, null))];
    expect(kAnonymize(study, rows)).toMatchObject({ suppressed: 0, groups: 3, kReached: 3 });
    expect(kAnonymize(study, repeat(2, row('30-39', 'female')))).toMatchObject({ rows: [], kReached: null, groups: 0 });
    expect(kAnonymize(study, [])).toMatchObject({ rows: [], suppressed: 0, kReached: null });
  });

  it('releases rows ordered by their values, not in the order they came', () => {
    const rows = [...repeat(3, row('40-49', 'male')), ...repeat(3, row('30-39', 'female'))];
    const ages = kAnonymize(study, rows).rows.map((r) => r.values.age);
    expect(ages).toEqual(['30-39', '30-39', '30-39', '40-49', '40-49', '40-49']);
  });

  it('with no quasi-identifier in the study, all rows are one group: fewer than k are all suppressed', () => {
    const clinical = parseStudyDefinition({ title: 't', fields: [{ field: 'diagnosis', rule: 'keep' }], k: 3 });
    expect(kAnonymize(clinical, repeat(2, row('30-39', 'female'))).rows).toEqual([]);
    expect(kAnonymize(clinical, repeat(3, row('30-39', 'female'))).kReached).toBe(3);
  });

  it('property: every released tuple occurs ≥ k times, nothing of a ≥ k group is lost, counts add up', () => {
    const value = (options: ReleasedValue[]): fc.Arbitrary<ReleasedValue> => fc.constantFrom(...options);
    const rowArb = fc
      .tuple(value(['0-9', '10-19', '20-29', null]), value(['female', 'male', null]), value(['I10', 'E11']))
      .map(([age, sex, diagnosis]) => row(age, sex, diagnosis));
    fc.assert(
      fc.property(fc.array(rowArb, { maxLength: 60 }), fc.integer({ min: 2, max: 8 }), (rows, k) => {
        const s = { ...study, k };
        const qi = (r: DatasetRow): string => canonicalize([r.values.age, r.values.sex]);
        const counts = (list: readonly DatasetRow[]): Map<string, number> => {
          const m = new Map<string, number>();
          for (const r of list) m.set(qi(r), (m.get(qi(r)) ?? 0) + 1);
          return m;
        };
        const result = kAnonymize(s, rows);
        const inCounts = counts(rows);
        const outCounts = counts(result.rows);
        for (const [tuple, n] of outCounts) {
          expect(n).toBeGreaterThanOrEqual(k);
          expect(n).toBe(inCounts.get(tuple)); // a group is released whole or not at all
        }
        for (const [tuple, n] of inCounts) if (n >= k) expect(outCounts.get(tuple)).toBe(n);
        expect(result.rows.length + result.suppressed).toBe(rows.length);
        expect(result.groups).toBe(outCounts.size);
        expect(result.kReached).toBe(outCounts.size === 0 ? null : Math.min(...outCounts.values()));
      }),
      { numRuns: 300 },
    );
  });
});
