// SPDX-License-Identifier: Apache-2.0
/**
 * Research extracts (docs/protocol.md §19.4): the patient's app derives one from a record it can
 * open (the dictionary's source values, each generalized by the study's rule) and seals it for
 * the institution (`sealExtract`, research-crypto.ts); the institution's SDK opens it and checks
 * every value before it is exported.
 */
import { utf8 } from '@medshare/crypto/bytes';
import {
  EXTRACT_MAX_BYTES,
  canonicalizeData,
  fail,
  generalize,
  parseExtractContent,
  parseJsonText,
  type ExtractContent,
  type ReleasedValue,
  type SigningKey,
  type StudyDefinition,
  type StudyField,
} from '@medshare/protocol';
import type { RecordSource } from './record-source';
import { openExtract } from './research-crypto';

/** A sealed extract as a warrant or contribution body carries it. */
export interface SealedExtract {
  /** The sealed box, base64 (at most EXTRACT_MAX_BYTES decoded). */
  readonly extract: string;
  /** The extract's data key wrapped to the institution's K1. */
  readonly extractKeyWrap: string;
}

const FULL_DATE = /^(\d{4})-(\d{2})-(\d{2})/;

/** Whole years from `birth` to `at` (both ISO dates): the birthday counts from its month and day (29 Feb → 1 Mar). */
export function ageAt(birth: string, at: string): number {
  const b = FULL_DATE.exec(birth);
  const a = FULL_DATE.exec(at);
  if (!b || !a) throw fail('INVALID_INPUT', 'the age needs a full birth date and encounter date (YYYY-MM-DD)');
  const [by, bm, bd] = [Number(b[1]), Number(b[2]), Number(b[3])];
  const [ay, am, ad] = [Number(a[1]), Number(a[2]), Number(a[3])];
  const age = ay - by - (am < bm || (am === bm && ad < bd) ? 1 : 0);
  if (age < 0) throw fail('INVALID_INPUT', 'the record encounter date is before its birth date');
  return age;
}

/**
 * A FHIR partial date (`YYYY`, `YYYY-MM`) is released only when the rule does not need the
 * missing part (a year for `year`; a month for `month`); otherwise the value is not known at the
 * rule's precision and is null. Full dates and date-times pass unchanged.
 */
function atRulePrecision(field: StudyField, value: unknown): unknown {
  if (typeof value !== 'string' || FULL_DATE.test(value)) return value;
  if (/^\d{4}$/.test(value)) return field.rule === 'year' ? `${value}-01-01` : null;
  if (/^\d{4}-(0[1-9]|1[0-2])$/.test(value)) return `${value}-01`;
  return value;
}

/** The source value of one study field; `age` is derived from the birth date at the encounter date when the record has no age. */
function sourceOf(field: StudyField, record: RecordSource): unknown {
  const value = record.values.get(field.field);
  if (field.field === 'age' && value === undefined) {
    const birth = record.values.get('birthDate');
    const at = record.values.get('encounterDate');
    if (typeof birth !== 'string' || typeof at !== 'string' || !FULL_DATE.test(birth) || !FULL_DATE.test(at))
      return undefined;
    return ageAt(birth, at);
  }
  if (field.field === 'birthDate' || field.field === 'encounterDate') return atRulePrecision(field, value);
  return value;
}

/**
 * The extract of a record for a study: every study field, generalized by its rule (null when the
 * record does not have it). A value the record holds in a form the dictionary does not accept is
 * INVALID_INPUT naming the field: nothing is guessed.
 */
export function deriveExtract(study: StudyDefinition, studyId: string, record: RecordSource): ExtractContent {
  const values: Record<string, ReleasedValue> = {};
  for (const field of study.fields)
    values[field.field] = generalize(field, sourceOf(field, record), `record ${field.field}`);
  return { v: 1, studyId, source: record.source, values };
}

/** The extract's plaintext: its RFC 8785 JSON with finite numbers (§19.4), what `sealExtract` seals. */
export function encodeExtract(content: ExtractContent): Uint8Array {
  return utf8(canonicalizeData(content));
}

/**
 * The institution opens an access-list entry's extract and checks it against the study:
 * CIPHERTEXT_INVALID (it does not open for this key, study and institution), EXTRACT_TOO_LARGE,
 * INVALID_INPUT (malformed, another study's) or EXTRACT_NOT_GENERALIZED (a value the study's
 * rules do not produce).
 */
export function readExtract(
  entry: SealedExtract,
  institution: SigningKey,
  study: StudyDefinition,
  studyId: string,
): ExtractContent {
  if (entry.extract.length > Math.ceil(EXTRACT_MAX_BYTES / 3) * 4)
    throw fail('EXTRACT_TOO_LARGE', `the sealed extract is larger than ${EXTRACT_MAX_BYTES} bytes`);
  const text = Buffer.from(openExtract(entry, studyId, institution)).toString('utf8');
  return parseExtractContent(parseJsonText(text, 'extract', EXTRACT_MAX_BYTES), study, studyId);
}
