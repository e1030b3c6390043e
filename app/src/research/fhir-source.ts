// SPDX-License-Identifier: Apache-2.0
/**
 * FHIR R4 → the research dictionary's source values (docs/protocol.md §19.4, the FHIR mapping
 * table). Reads Patient.gender, Patient.birthDate and the home (else first) address's postalCode
 * only; Encounter.period.start; the code of Condition, Procedure and MedicationStatement; LOINC
 * Observations' and their components' valueQuantity. Identifiers, names, telecoms, address
 * lines, narratives (`text`), notes and every other element are never read. The first resource
 * of each kind in Bundle order gives a field's value; entered-in-error (and refuted, not-done,
 * not-taken, cancelled) resources are skipped.
 */
import { fail } from '@medshare/protocol';
import { isObject, setSource, type SourceValues } from './source-values';

type Resource = Record<string, unknown>;

const READ_TYPES = ['Patient', 'Encounter', 'Condition', 'Observation', 'Procedure', 'MedicationStatement'];
const MAX_ENTRIES = 10_000;
const LOINC = 'http://loinc.org';
/** The code systems preferred for a diagnosis, before any other coding. */
const ICD10 = [
  'http://hl7.org/fhir/sid/icd-10',
  'http://hl7.org/fhir/sid/icd-10-cm',
  'http://hl7.org/fhir/sid/icd-10-cn',
];
/** Statuses whose resource does not describe the patient (FHIR R4 value sets of each status element). */
const VOID_STATUS = new Set(['entered-in-error', 'not-done', 'not-taken', 'cancelled', 'refuted']);

function array(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** The resources of a resource or a Bundle (not nested), those of the types read. */
function resourcesOf(root: Resource): Resource[] {
  if (root.resourceType !== 'Bundle') {
    if (!READ_TYPES.includes(root.resourceType as string))
      throw fail(
        'INVALID_INPUT',
        `a FHIR ${String(root.resourceType)} has no research extract: use one of Bundle, ${READ_TYPES.join(', ')}`,
      );
    return [root];
  }
  const entries = array(root.entry);
  if (entries.length > MAX_ENTRIES) throw fail('INVALID_INPUT', `the Bundle has more than ${MAX_ENTRIES} entries`);
  return entries
    .map((e) => (isObject(e) && isObject(e.resource) ? e.resource : undefined))
    .filter((r): r is Resource => r !== undefined && READ_TYPES.includes(r.resourceType as string));
}

/** The status codes a resource carries (`status`, and the CodeableConcept `verificationStatus`). */
function isVoid(resource: Resource): boolean {
  if (typeof resource.status === 'string' && VOID_STATUS.has(resource.status)) return true;
  const verification = isObject(resource.verificationStatus) ? array(resource.verificationStatus.coding) : [];
  return verification.some((c) => isObject(c) && typeof c.code === 'string' && VOID_STATUS.has(c.code));
}

interface Coding {
  readonly system?: string;
  readonly code: unknown;
}

function codings(concept: unknown): Coding[] {
  if (!isObject(concept)) return [];
  return array(concept.coding)
    .filter((c): c is Record<string, unknown> => isObject(c) && c.code !== undefined)
    .map((c) => ({ system: typeof c.system === 'string' ? c.system : undefined, code: c.code }));
}

/** A CodeableConcept's code: the first coding of a preferred system, else the first coding. */
function codeOf(concept: unknown, preferred: readonly string[] = []): unknown {
  const all = codings(concept);
  return (all.find((c) => c.system !== undefined && preferred.includes(c.system)) ?? all[0])?.code;
}

function quantityOf(element: Record<string, unknown>): unknown {
  return isObject(element.valueQuantity) ? element.valueQuantity.value : undefined;
}

/** An Observation's LOINC-coded values: its own and its components' (a blood pressure panel holds both pressures). */
function readObservation(values: SourceValues, observation: Resource): void {
  for (const element of [observation, ...array(observation.component).filter(isObject)]) {
    const value = quantityOf(element);
    if (value === undefined) continue;
    for (const coding of codings(element.code)) {
      if (coding.system === LOINC && typeof coding.code === 'string') setSource(values, `obs.${coding.code}`, value);
    }
  }
}

function readPatient(values: SourceValues, patient: Resource): void {
  setSource(values, 'sex', patient.gender);
  setSource(values, 'birthDate', patient.birthDate);
  const addresses = array(patient.address).filter(isObject);
  const address = addresses.find((a) => a.use === 'home') ?? addresses[0];
  if (address) setSource(values, 'postcode', address.postalCode);
}

const READERS: Record<string, (values: SourceValues, resource: Resource) => void> = {
  Patient: readPatient,
  Encounter: (values, r) => setSource(values, 'encounterDate', isObject(r.period) ? r.period.start : undefined),
  Condition: (values, r) => setSource(values, 'diagnosis', codeOf(r.code, ICD10)),
  Observation: readObservation,
  Procedure: (values, r) => setSource(values, 'procedure', codeOf(r.code)),
  MedicationStatement: (values, r) => setSource(values, 'medication', codeOf(r.medicationCodeableConcept)),
};

/** The source values of a FHIR R4 resource or Bundle (see the module comment). */
export function readFhir(root: Resource): SourceValues {
  const values = new Map<string, unknown>();
  for (const resource of resourcesOf(root)) {
    if (isVoid(resource)) continue;
    READERS[resource.resourceType as string]?.(values, resource);
  }
  return values;
}
