// SPDX-License-Identifier: Apache-2.0
/**
 * The research field dictionary (docs/protocol.md §19): every field a study may name, what kind of
 * value it holds, and whether it identifies a patient. The class is the dictionary's, never the
 * study's: an institution cannot declare a quasi-identifier to be clinical and so escape
 * generalization and k-anonymity.
 *
 * - `direct`: identifies a patient by itself (name, hospital number, national id, contact data).
 *   Never released: a study naming one is refused (`STUDY_RELEASES_IDENTIFIER`).
 * - `text`: free text (notes, reports). It can carry any identifier, so it is always dropped: a
 *   study naming one is refused the same way.
 * - `quasi`: identifies in combination (age, sex, dates, postcode). Released only generalized by
 *   the study's rule, and the export enforces k-anonymity over the study's quasi-identifiers.
 * - `clinical`: the data a study is about (diagnosis and procedure codes, observations).
 */

export type FieldClass = 'direct' | 'text' | 'quasi' | 'clinical';
/** The value's type in a research extract's source (what the app reads from a record). */
export type FieldType = 'integer' | 'number' | 'date' | 'code' | 'postcode' | 'sex' | 'text';

export interface FieldSpec {
  readonly class: FieldClass;
  readonly type: FieldType;
}

/** The fixed fields. Observations are `obs.<LOINC code>` numbers (see {@link fieldSpec}). */
export const RESEARCH_FIELDS: Readonly<Record<string, FieldSpec>> = Object.freeze({
  // Direct identifiers: never released.
  name: { class: 'direct', type: 'text' },
  patientNumber: { class: 'direct', type: 'text' },
  nationalId: { class: 'direct', type: 'text' },
  phone: { class: 'direct', type: 'text' },
  email: { class: 'direct', type: 'text' },
  address: { class: 'direct', type: 'text' },
  // Free text: always dropped.
  notes: { class: 'text', type: 'text' },
  // Quasi-identifiers: released generalized.
  age: { class: 'quasi', type: 'integer' },
  sex: { class: 'quasi', type: 'sex' },
  birthDate: { class: 'quasi', type: 'date' },
  postcode: { class: 'quasi', type: 'postcode' },
  encounterDate: { class: 'quasi', type: 'date' },
  // Clinical data.
  diagnosis: { class: 'clinical', type: 'code' },
  procedure: { class: 'clinical', type: 'code' },
  medication: { class: 'clinical', type: 'code' },
});

/** `obs.` then a LOINC code (digits, a hyphen, the check digit), e.g. `obs.8480-6` (systolic blood pressure). */
export const OBSERVATION_FIELD = /^obs\.[0-9]{1,7}-[0-9]$/;

/** The dictionary entry of a field name, or undefined for a name the dictionary does not have. */
export function fieldSpec(name: string): FieldSpec | undefined {
  if (Object.prototype.hasOwnProperty.call(RESEARCH_FIELDS, name)) return RESEARCH_FIELDS[name];
  if (OBSERVATION_FIELD.test(name)) return { class: 'clinical', type: 'number' };
  return undefined;
}

/** The allowed values of the `sex` field (FHIR R4 AdministrativeGender). */
export const SEX_VALUES = ['female', 'male', 'other', 'unknown'] as const;
