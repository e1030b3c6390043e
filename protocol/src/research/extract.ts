// SPDX-License-Identifier: Apache-2.0
import { utf8 } from '@medshare/crypto/bytes';
import { fail } from '../errors/medshare-error';
import { EXTRACT_LABEL, PROFILE_LABEL } from '../labels';
import { HEX64, expectInteger, expectObject, expectOneOf, expectString } from '../validation/assert';
import { SEX_VALUES } from './fields';
import { isGeneralized, type StudyDefinition } from './study';

/**
 * The research extract and the sealed profile (docs/protocol.md §19.4): the plaintexts the
 * patient's app seals, and the checks the institution's SDK makes after opening an extract. The
 * chaincode never opens either; it bounds their sealed size (EXTRACT_MAX_BYTES, PROFILE_MAX_BYTES
 * in messages/research.ts).
 */

/**
 * What kind of record an extract was derived from: `medshare-json` (the app's JSON record) or
 * `fhir-r4` (a FHIR R4 resource or Bundle). Only `fhir-r4` rows are exported as FHIR resources.
 */
export const EXTRACT_SOURCES = ['medshare-json', 'fhir-r4'] as const;
export type ExtractSource = (typeof EXTRACT_SOURCES)[number];

export type ReleasedValue = string | number | null;

/** The extract plaintext, sealed as the RFC 8785 JSON of this object (finite numbers allowed). */
export interface ExtractContent {
  readonly v: 1;
  readonly studyId: string;
  readonly source: ExtractSource;
  /** One member per study field, in no particular order: the released value, or null. */
  readonly values: Readonly<Record<string, ReleasedValue>>;
}

/** AAD of an extract: EXTRACT_LABEL ‖ studyId ‖ "\n" ‖ institution key id, so it cannot pass for another study's. */
export function extractAad(studyId: string, institutionKeyId: string): Uint8Array {
  return utf8(`${EXTRACT_LABEL}${studyId}\n${institutionKeyId}`);
}

/** AAD of a profile: PROFILE_LABEL ‖ the patient's key id, so it cannot pass for another patient's. */
export function profileAad(keyId: string): Uint8Array {
  return utf8(`${PROFILE_LABEL}${keyId}`);
}

/**
 * The institution's check of an opened extract against the study it was sealed for: the version,
 * the study id, the source kind, exactly the study's fields, and every value one that
 * `generalize` can produce under the field's rule. INVALID_INPUT for a malformed extract,
 * EXTRACT_NOT_GENERALIZED (naming the field) for a value the rules do not produce.
 */
export function parseExtractContent(value: unknown, study: StudyDefinition, studyId: string): ExtractContent {
  const o = expectObject(value, 'extract', ['v', 'studyId', 'source', 'values']);
  if (o.v !== 1) throw fail('INVALID_INPUT', 'extract.v must be 1');
  if (expectString(o.studyId, 'extract.studyId', { pattern: HEX64 }) !== studyId)
    throw fail('INVALID_INPUT', 'extract.studyId is another study');
  const source = expectOneOf(o.source, 'extract.source', EXTRACT_SOURCES);
  const names = study.fields.map((f) => f.field);
  const values = expectObject(o.values, 'extract.values', names);
  const released: Record<string, ReleasedValue> = {};
  for (const field of study.fields) {
    const v = values[field.field];
    if (v === undefined) throw fail('INVALID_INPUT', `extract.values.${field.field} is missing`);
    if (!isGeneralized(field, v))
      throw fail('EXTRACT_NOT_GENERALIZED', `extract.values.${field.field} is not a value the study's rule releases`);
    released[field.field] = v as ReleasedValue;
  }
  return { v: 1, studyId, source, values: released };
}

/**
 * A patient's profile, sealed for the patient alone (the ledger holds only the sealed box). Every
 * member is optional; each is bounded so that the sealed profile stays under PROFILE_MAX_BYTES.
 */
export interface ProfileContent {
  readonly v: 1;
  readonly name?: string;
  readonly sex?: (typeof SEX_VALUES)[number];
  readonly birthDate?: string;
  readonly age?: number;
  readonly phone?: string;
  readonly email?: string;
  readonly address?: string;
  readonly postcode?: string;
}

const PROFILE_TEXT = ['name', 'phone', 'email', 'address', 'postcode'] as const;
const PROFILE_TEXT_MAX = { name: 200, phone: 40, email: 254, address: 500, postcode: 10 } as const;
const ISO_DAY = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;

/** Parses a profile (on update, and after opening one): unknown members and malformed values are INVALID_INPUT. */
export function parseProfileContent(value: unknown): ProfileContent {
  const o = expectObject(value, 'profile', ['v', 'sex', 'birthDate', 'age', ...PROFILE_TEXT]);
  if (o.v !== 1) throw fail('INVALID_INPUT', 'profile.v must be 1');
  const profile: Record<string, unknown> = { v: 1 };
  for (const name of PROFILE_TEXT) {
    if (o[name] !== undefined)
      profile[name] = expectString(o[name], `profile.${name}`, { maxLength: PROFILE_TEXT_MAX[name] });
  }
  if (o.sex !== undefined) profile.sex = expectOneOf(o.sex, 'profile.sex', SEX_VALUES);
  if (o.birthDate !== undefined)
    profile.birthDate = expectString(o.birthDate, 'profile.birthDate', { pattern: ISO_DAY, maxLength: 10 });
  if (o.age !== undefined) profile.age = expectInteger(o.age, 'profile.age', 0, 200);
  return profile as unknown as ProfileContent;
}
