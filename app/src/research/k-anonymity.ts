// SPDX-License-Identifier: Apache-2.0
/**
 * k-anonymity over a study's quasi-identifiers (docs/protocol.md §19.5): rows whose
 * quasi-identifier tuple is shared by fewer than k rows are suppressed, whole; every released row
 * is then indistinguishable, on those columns, from at least k−1 others. No generalization is
 * done here (the patients' apps did it by the study's rules), and nothing beyond k-anonymity
 * (l-diversity, t-closeness) is claimed: docs/privacy.md.
 */
import {
  canonicalizeData,
  quasiIdentifiers,
  type ExtractSource,
  type ReleasedValue,
  type StudyDefinition,
} from '@medshare/protocol';

/** One opened, checked extract: a dataset row. */
export interface DatasetRow {
  readonly source: ExtractSource;
  readonly values: Readonly<Record<string, ReleasedValue>>;
}

/** What an export did, and the k it reached. */
export interface KAnonymityReport {
  /** The study's target. */
  readonly k: number;
  /** Access-list entries read. */
  readonly rowsIn: number;
  /** Entries that did not open or failed the study's checks, dropped before grouping. */
  readonly rowsRejected: number;
  /** Rows of a source the format does not take (FHIR output takes only rows from FHIR records). */
  readonly rowsExcluded: number;
  /** Rows in groups smaller than k. */
  readonly rowsSuppressed: number;
  readonly rowsReleased: number;
  /** Groups (equal quasi-identifier tuples) among the released rows. */
  readonly groups: number;
  /** The smallest released group's size (≥ k), or null when nothing is released. */
  readonly kReached: number | null;
  /** The columns grouped by. */
  readonly quasiIdentifiers: readonly string[];
}

/** The released rows (ordered by their values, not by the access list's order) and the counts. */
export interface AnonymizedRows {
  readonly rows: readonly DatasetRow[];
  readonly suppressed: number;
  readonly groups: number;
  readonly kReached: number | null;
}

/** Suppresses the rows of groups smaller than `study.k`; the rest are returned sorted by their canonical values. */
export function kAnonymize(study: StudyDefinition, rows: readonly DatasetRow[]): AnonymizedRows {
  const columns = quasiIdentifiers(study);
  const groups = new Map<string, DatasetRow[]>();
  for (const row of rows) {
    const key = canonicalizeData(columns.map((c) => row.values[c] ?? null));
    const group = groups.get(key);
    if (group) group.push(row);
    else groups.set(key, [row]);
  }
  const kept = [...groups.values()].filter((g) => g.length >= study.k);
  const released = kept.flat();
  // The access list's order is the warrants' order, which ledger readers can time: not kept.
  const sortKey = new Map(released.map((r) => [r, canonicalizeData(r.values)]));
  released.sort((a, b) => {
    const [x, y] = [sortKey.get(a) as string, sortKey.get(b) as string];
    return x < y ? -1 : x > y ? 1 : 0;
  });
  return {
    rows: released,
    suppressed: rows.length - released.length,
    groups: kept.length,
    kReached: kept.length === 0 ? null : Math.min(...kept.map((g) => g.length)),
  };
}
