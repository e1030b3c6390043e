// SPDX-License-Identifier: Apache-2.0
/**
 * Reads a record's plaintext into the research field dictionary's source values (docs/protocol.md
 * §19.4): a medshare JSON record, or a FHIR R4 resource or Bundle. Only quasi-identifiers and
 * clinical fields are read, each from a fixed path; direct identifiers (name, numbers, contact
 * data, the address but for its postal code) and free text are never read, so they cannot reach
 * an extract whatever the study asks.
 */
import { MAX_RECORD_BYTES, OBSERVATION_FIELD, fail, parseJsonText, type ExtractSource } from '@medshare/protocol';
import { readFhir } from './fhir-source';
import { isObject, setSource, type SourceValues } from './source-values';

/** A record's source values: dictionary field name → the value as the record holds it (unchecked). */
export interface RecordSource {
  readonly source: ExtractSource;
  readonly values: ReadonlyMap<string, unknown>;
}

/** The medshare JSON record's members that are read, each a dictionary field of the same name. */
const JSON_FIELDS = ['age', 'sex', 'birthDate', 'postcode', 'encounterDate', 'diagnosis', 'procedure', 'medication'];

function readMedshareJson(record: Record<string, unknown>): SourceValues {
  const values = new Map<string, unknown>();
  for (const field of JSON_FIELDS) setSource(values, field, record[field]);
  const observations = record.observations;
  if (observations !== undefined) {
    if (!isObject(observations))
      throw fail('INVALID_INPUT', 'record observations must be an object of LOINC code → number');
    for (const [code, value] of Object.entries(observations)) {
      // A key that is not a LOINC code cannot be named by any study: it is not read.
      if (OBSERVATION_FIELD.test(`obs.${code}`)) setSource(values, `obs.${code}`, value);
    }
  }
  return values;
}

/**
 * The source values of a record's plaintext. INVALID_INPUT when it is not JSON, not an object, or
 * a FHIR resource of a type that is not read (the message names what was found).
 */
export function readRecordSource(content: Uint8Array): RecordSource {
  if (content.length > MAX_RECORD_BYTES)
    throw fail('PAYLOAD_TOO_LARGE', `the record is larger than ${MAX_RECORD_BYTES} bytes`);
  const text = Buffer.from(content.buffer, content.byteOffset, content.length).toString('utf8');
  let record: unknown;
  try {
    record = parseJsonText(text, 'record', MAX_RECORD_BYTES);
  } catch (cause) {
    throw fail(
      'INVALID_INPUT',
      'the record is not JSON: only medshare JSON records and FHIR R4 resources have research extracts',
      cause,
    );
  }
  if (!isObject(record)) throw fail('INVALID_INPUT', 'the record must be a JSON object');
  if (typeof record.resourceType === 'string') return { source: 'fhir-r4', values: readFhir(record) };
  return { source: 'medshare-json', values: readMedshareJson(record) };
}
