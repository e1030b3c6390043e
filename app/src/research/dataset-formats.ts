// SPDX-License-Identifier: Apache-2.0
/**
 * The export formats of a research dataset (docs/protocol.md §19.5): CSV (RFC 4180), NDJSON, and
 * a FHIR R4 Bundle of type collection. Rows carry only the released values: no entry id, no key,
 * no source record's identifier, so a file cannot be joined back to the access list.
 */
import { randomUUID } from 'node:crypto';
import { OBSERVATION_FIELD, type ReleasedValue, type StudyDefinition } from '@medshare/protocol';
import type { DatasetRow } from './k-anonymity';

export const DATASET_FORMATS = ['csv', 'ndjson', 'fhir'] as const;
export type DatasetFormat = (typeof DATASET_FORMATS)[number];

/** The code system of a study field that FHIR has no element for (`code` = the field's name). */
export const RESEARCH_FIELD_SYSTEM = 'urn:medshare:research-field';
const LOINC = 'http://loinc.org';

/** RFC 4180 §2: a field with a comma, a double quote, CR or LF is quoted, its quotes doubled; null is empty. */
function csvField(value: ReleasedValue): string {
  if (value === null) return '';
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** RFC 4180: a header row of the study's fields in the study's order, CRLF after every record. */
export function toCsv(study: StudyDefinition, rows: readonly DatasetRow[]): string {
  const fields = study.fields.map((f) => f.field);
  const lines = [fields.map(csvField), ...rows.map((r) => fields.map((f) => csvField(r.values[f] ?? null)))];
  return lines.map((l) => `${l.join(',')}\r\n`).join('');
}

/** One JSON object per line, its members in the study's order, each line ending in LF. */
export function toNdjson(study: StudyDefinition, rows: readonly DatasetRow[]): string {
  const fields = study.fields.map((f) => f.field);
  return rows
    .map((r) => `${JSON.stringify(Object.fromEntries(fields.map((f) => [f, r.values[f] ?? null])))}\n`)
    .join('');
}

type Resource = Record<string, unknown>;

function concept(field: string): Resource {
  const loinc = OBSERVATION_FIELD.test(field);
  return { coding: [{ system: loinc ? LOINC : RESEARCH_FIELD_SYSTEM, code: loinc ? field.slice(4) : field }] };
}

/** A released code has no code system: a prefix rule may have cut it (`I10.9` → `I10`). */
function codeConcept(code: ReleasedValue): Resource {
  return { coding: [{ code: String(code) }] };
}

interface RowContext {
  readonly subject: Resource;
  /** `{[element]: the row's encounter month}`, or nothing when the row has none. */
  readonly dated: (element: string) => Resource;
}

/** The resource of a clinical value with a FHIR home of its own. */
const CLINICAL: Record<string, (value: ReleasedValue, row: RowContext) => Resource> = {
  diagnosis: (value, { subject, dated }) => ({
    resourceType: 'Condition',
    subject,
    code: codeConcept(value),
    ...dated('recordedDate'),
  }),
  procedure: (value, { subject, dated }) => ({
    resourceType: 'Procedure',
    status: 'completed',
    subject,
    code: codeConcept(value),
    ...dated('performedDateTime'),
  }),
  medication: (value, { subject, dated }) => ({
    resourceType: 'MedicationStatement',
    status: 'unknown',
    subject,
    medicationCodeableConcept: codeConcept(value),
    ...dated('effectiveDateTime'),
  }),
};

/** Any other value: an Observation, LOINC-coded for `obs.*`, else coded by the field's name. */
function observation(field: string, value: ReleasedValue, { subject, dated }: RowContext): Resource {
  return {
    resourceType: 'Observation',
    status: 'final',
    code: concept(field),
    subject,
    ...(field === 'encounterDate' ? {} : dated('effectiveDateTime')),
    ...(typeof value === 'number' ? { valueQuantity: { value } } : { valueString: value }),
  };
}

/** The entries of one row: an anonymous Patient (gender, generalized birth date only) and one resource per other value. */
function rowEntries(study: StudyDefinition, row: DatasetRow): Resource[] {
  const patientUrl = `urn:uuid:${randomUUID()}`;
  const date = row.values.encounterDate ?? null;
  const context: RowContext = {
    subject: { reference: patientUrl },
    dated: (element) => (date === null ? {} : { [element]: date }),
  };
  const patient: Resource = { resourceType: 'Patient' };
  const entries: Resource[] = [{ fullUrl: patientUrl, resource: patient }];
  for (const { field } of study.fields) {
    const value = row.values[field] ?? null;
    if (value === null) continue;
    if (field === 'sex') patient.gender = value;
    else if (field === 'birthDate') patient.birthDate = value;
    else {
      const resource = CLINICAL[field]?.(value, context) ?? observation(field, value, context);
      entries.push({ fullUrl: `urn:uuid:${randomUUID()}`, resource });
    }
  }
  return entries;
}

/**
 * A FHIR R4 Bundle (type `collection`): per row an anonymous Patient with no identifier, name,
 * telecom or address (only `gender` and a generalized `birthDate`), and per other value a
 * Condition (diagnosis), Procedure, MedicationStatement or Observation (LOINC-coded for `obs.*`;
 * coded in {@link RESEARCH_FIELD_SYSTEM} for age band, postcode prefix and encounter month), each
 * referring to the row's Patient by a random `urn:uuid`, dated by the row's encounter month.
 */
export function toFhirBundle(study: StudyDefinition, rows: readonly DatasetRow[]): string {
  const bundle = { resourceType: 'Bundle', type: 'collection', entry: rows.flatMap((r) => rowEntries(study, r)) };
  return `${JSON.stringify(bundle, null, 2)}\n`;
}

export const FORMATTERS: Record<DatasetFormat, (study: StudyDefinition, rows: readonly DatasetRow[]) => string> = {
  csv: toCsv,
  ndjson: toNdjson,
  fhir: toFhirBundle,
};
