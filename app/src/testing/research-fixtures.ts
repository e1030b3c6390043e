// SPDX-License-Identifier: Apache-2.0
/** Records full of identifiers, and the study they are tested against (app/src/research tests). */
import type { StudyDefinition } from '@medshare/protocol';

export const STUDY_DEFINITION: StudyDefinition = {
  title: 'Hypertension outcomes 2026',
  fields: [
    { field: 'age', rule: 'band', width: 5 },
    { field: 'sex', rule: 'keep' },
    { field: 'encounterDate', rule: 'month' },
    { field: 'postcode', rule: 'prefix', length: 3 },
    { field: 'diagnosis', rule: 'prefix', length: 3 },
    { field: 'obs.8480-6', rule: 'band', width: 10 },
    { field: 'obs.2345-7', rule: 'keep' },
    { field: 'medication', rule: 'keep' },
  ],
  k: 5,
};

/** Every identifying string of {@link JSON_RECORD}: none may appear in an extract. */
export const IDENTIFIERS = [
  'Li Lei',
  'P-0042-7781',
  '110105198911300023',
  '+86 138 0013 8000',
  'li.lei@example.org',
  'Haidian',
  'Zhongguancun',
  'headaches',
  'confided',
  '1989-11-30',
  '100081',
  '2026-11-30',
  'I10.9',
];

export const JSON_RECORD = {
  name: 'Li Lei',
  patientNumber: 'P-0042-7781',
  nationalId: '110105198911300023',
  phone: '+86 138 0013 8000',
  email: 'li.lei@example.org',
  address: '5 Zhongguancun St, Haidian, Beijing',
  age: 37,
  sex: 'female',
  birthDate: '1989-11-30',
  postcode: '100081',
  encounterDate: '2026-11-30',
  diagnosis: 'I10.9',
  procedure: '0DTJ4ZZ',
  observations: { '8480-6': 137, '2345-7': 5.6, 'not-a-loinc': 'Li Lei' },
  notes: 'Li Lei reports headaches; confided family history to Dr. Sun.',
};

/** A FHIR R4 Bundle with identifiers wherever FHIR allows them. */
export const FHIR_BUNDLE = {
  resourceType: 'Bundle',
  type: 'collection',
  identifier: { system: 'urn:example:bundle', value: 'P-0042-7781' },
  entry: [
    {
      fullUrl: 'urn:uuid:7f0a0b1e-0000-4000-8000-000000000001',
      resource: {
        resourceType: 'Patient',
        id: 'MRN-77',
        text: { status: 'generated', div: '<div>narrative: Wang Jianguo, Li Lei</div>' },
        identifier: [
          { system: 'urn:oid:2.16.156.10011.1.2', value: '110105198911300023' },
          { system: 'urn:example:mrn', value: 'MRN-77' },
        ],
        name: [{ family: 'Wang', given: ['Jianguo'] }],
        telecom: [
          { system: 'phone', value: '+86 138 0013 8000' },
          { system: 'email', value: 'li.lei@example.org' },
        ],
        gender: 'male',
        birthDate: '1966-03-02',
        address: [
          { use: 'work', line: ['1 Zhongguancun St'], city: 'Haidian', postalCode: '100081' },
          { use: 'home', line: ['9 Huaihai Rd'], city: 'Shanghai', postalCode: '200031' },
        ],
      },
    },
    {
      resource: {
        resourceType: 'Encounter',
        status: 'finished',
        identifier: [{ value: 'P-0042-7781' }],
        period: { start: '2026-10-14T09:30:00+08:00' },
        subject: { reference: 'Patient/MRN-77', display: 'Wang Jianguo' },
      },
    },
    {
      resource: {
        resourceType: 'Condition',
        code: {
          text: 'headaches',
          coding: [
            { system: 'http://snomed.info/sct', code: '38341003' },
            { system: 'http://hl7.org/fhir/sid/icd-10', code: 'I10.9' },
          ],
        },
        note: [{ text: 'Li Lei confided family history' }],
        subject: { reference: 'Patient/MRN-77' },
      },
    },
    {
      resource: {
        resourceType: 'Observation',
        status: 'final',
        code: { coding: [{ system: 'http://loinc.org', code: '85354-9' }] },
        component: [
          {
            code: { coding: [{ system: 'http://loinc.org', code: '8480-6' }] },
            valueQuantity: { value: 152, unit: 'mm[Hg]' },
          },
          {
            code: { coding: [{ system: 'http://loinc.org', code: '8462-4' }] },
            valueQuantity: { value: 95, unit: 'mm[Hg]' },
          },
        ],
      },
    },
    {
      resource: {
        resourceType: 'Observation',
        status: 'entered-in-error',
        code: { coding: [{ system: 'http://loinc.org', code: '2345-7' }] },
        valueQuantity: { value: 99, unit: 'mmol/L' },
      },
    },
    {
      resource: {
        resourceType: 'Observation',
        status: 'final',
        code: { coding: [{ system: 'http://loinc.org', code: '2345-7' }] },
        valueQuantity: { value: 7.2, unit: 'mmol/L' },
      },
    },
    {
      resource: {
        resourceType: 'MedicationStatement',
        status: 'active',
        medicationCodeableConcept: { coding: [{ system: 'http://www.whocc.no/atc', code: 'C09AA05' }] },
        subject: { reference: 'Patient/MRN-77' },
      },
    },
    { resource: { resourceType: 'Practitioner', name: [{ family: 'Sun' }] } },
  ],
};
