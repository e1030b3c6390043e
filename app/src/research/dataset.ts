// SPDX-License-Identifier: Apache-2.0
/**
 * The institution's export of a study's dataset (docs/protocol.md §19.5): open every access-list
 * entry, drop (and count) those that fail the study's checks, keep the rows the format takes,
 * enforce k-anonymity, write the format. The report goes beside the file, never into it.
 */
import {
  MedshareError,
  quasiIdentifiers,
  type ErrorCode,
  type SigningKey,
  type StudyDefinition,
} from '@medshare/protocol';
import { FORMATTERS, type DatasetFormat } from './dataset-formats';
import { readExtract, type SealedExtract } from './extract';
import { kAnonymize, type DatasetRow, type KAnonymityReport } from './k-anonymity';

/** An access-list entry as the institution reads it (the fields the export uses). */
export interface SealedEntry extends SealedExtract {
  readonly entryId: string;
}

/** An entry dropped from the export, and why (for the institution's eyes: it names the entry). */
export interface Rejection {
  readonly entryId: string;
  readonly code: ErrorCode;
  readonly message: string;
}

export interface Dataset {
  readonly format: DatasetFormat;
  /** The file's text: rows only, no entry ids. */
  readonly content: string;
  readonly report: KAnonymityReport;
  readonly rejections: readonly Rejection[];
}

/** The failures that mean "this entry is bad", not "the export cannot run". */
const REJECTED: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'CIPHERTEXT_INVALID',
  'INVALID_INPUT',
  'EXTRACT_NOT_GENERALIZED',
  'EXTRACT_TOO_LARGE',
  'PAYLOAD_TOO_LARGE',
]);

/** FHIR output takes only rows derived from FHIR records (the issue: "FHIR R4 resources where the record is FHIR"). */
function takes(format: DatasetFormat, row: DatasetRow): boolean {
  return format !== 'fhir' || row.source === 'fhir-r4';
}

/**
 * Builds the dataset of `entries` for the institution holding `institution`. An entry id seen
 * twice counts once (a row counted twice would fake a group of k).
 */
export function buildDataset(
  study: StudyDefinition,
  studyId: string,
  entries: Iterable<SealedEntry>,
  institution: SigningKey,
  format: DatasetFormat,
): Dataset {
  const seen = new Set<string>();
  const rejections: Rejection[] = [];
  const rows: DatasetRow[] = [];
  let excluded = 0;
  for (const entry of entries) {
    if (seen.has(entry.entryId)) continue;
    seen.add(entry.entryId);
    let row: DatasetRow;
    try {
      row = readExtract(entry, institution, study, studyId);
    } catch (error) {
      if (!(error instanceof MedshareError) || !REJECTED.has(error.code)) throw error;
      rejections.push({ entryId: entry.entryId, code: error.code, message: error.detail });
      continue;
    }
    if (takes(format, row)) rows.push({ source: row.source, values: row.values });
    else excluded++;
  }
  const anonymized = kAnonymize(study, rows);
  const report: KAnonymityReport = {
    k: study.k,
    rowsIn: seen.size,
    rowsRejected: rejections.length,
    rowsExcluded: excluded,
    rowsSuppressed: anonymized.suppressed,
    rowsReleased: anonymized.rows.length,
    groups: anonymized.groups,
    kReached: anonymized.kReached,
    quasiIdentifiers: quasiIdentifiers(study),
  };
  return { format, content: FORMATTERS[format](study, anonymized.rows), report, rejections };
}
