// SPDX-License-Identifier: Apache-2.0
import { utf8 } from '@medshare/crypto/bytes';
import { generateKeyPair } from '@medshare/crypto/sm2';
import { keyIdOf, parseStudyDefinition, type ExtractContent } from '@medshare/protocol';
import { FHIR_BUNDLE, JSON_RECORD, STUDY_DEFINITION } from '../testing/research-fixtures';
import { buildDataset, type SealedEntry } from './dataset';
import { RESEARCH_FIELD_SYSTEM, toCsv, toNdjson } from './dataset-formats';
import { deriveExtract, encodeExtract } from './extract';
import { sealExtract } from './research-crypto';
import { readRecordSource } from './record-source';

const STUDY_ID = 'e'.repeat(64);
const study = parseStudyDefinition({ ...STUDY_DEFINITION, k: 3 });
const institution = generateKeyPair();

const seal = (plaintext: Uint8Array, publicKey = institution.publicKey): { extract: string; extractKeyWrap: string } =>
  sealExtract(plaintext, STUDY_ID, { keyId: keyIdOf(publicKey), publicKey });

let n = 0;
function entryOf(content: ExtractContent): SealedEntry {
  n += 1;
  return { entryId: n.toString(16).padStart(64, '0'), ...seal(encodeExtract(content)) };
}
const extractOf = (record: unknown): ExtractContent =>
  deriveExtract(study, STUDY_ID, readRecordSource(utf8(JSON.stringify(record))));

/** n patients like the JSON record (same groups) and m like the FHIR Bundle. */
function entries(jsonCount: number, fhirCount: number): SealedEntry[] {
  return [
    ...Array.from({ length: jsonCount }, (_, i) =>
      entryOf(extractOf({ ...JSON_RECORD, observations: { '8480-6': 120 + i, '2345-7': 5 + i / 10 } })),
    ),
    ...Array.from({ length: fhirCount }, () => entryOf(extractOf(FHIR_BUNDLE))),
  ];
}

describe('dataset export', () => {
  it('reports what it read, rejected, suppressed and released, and the k reached', () => {
    const list = entries(3, 2);
    const dataset = buildDataset(study, STUDY_ID, list, institution, 'csv');
    expect(dataset.report).toEqual({
      k: 3,
      rowsIn: 5,
      rowsRejected: 0,
      rowsExcluded: 0,
      rowsSuppressed: 2,
      rowsReleased: 3,
      groups: 1,
      kReached: 3,
      quasiIdentifiers: ['age', 'sex', 'encounterDate', 'postcode'],
    });
    const lines = dataset.content.split('\r\n');
    expect(lines[0]).toBe('age,sex,encounterDate,postcode,diagnosis,obs.8480-6,obs.2345-7,medication');
    expect(lines.slice(1, 4)).toEqual([
      '35-39,female,2026-11,100,I10,120-<130,5,',
      '35-39,female,2026-11,100,I10,120-<130,5.1,',
      '35-39,female,2026-11,100,I10,120-<130,5.2,',
    ]);
    expect(lines[4]).toBe('');
    for (const e of list) expect(dataset.content).not.toContain(e.entryId);
  });

  it('drops and counts an extract that releases an un-generalized value, or does not open, and names it to the institution', () => {
    const good = entries(3, 0);
    const raw = extractOf(JSON_RECORD);
    const leaky = entryOf({ ...raw, values: { ...raw.values, age: 37 } });
    const unreadable: SealedEntry = { entryId: 'f'.repeat(64), ...seal(utf8('not json')) };
    const forOther = {
      ...entryOf(raw),
      extractKeyWrap: seal(encodeExtract(raw), generateKeyPair().publicKey).extractKeyWrap,
    };
    const dataset = buildDataset(study, STUDY_ID, [...good, leaky, unreadable, forOther], institution, 'ndjson');
    expect(dataset.report).toMatchObject({ rowsIn: 6, rowsRejected: 3, rowsReleased: 3, kReached: 3 });
    expect(dataset.rejections).toEqual([
      { entryId: leaky.entryId, code: 'EXTRACT_NOT_GENERALIZED', message: expect.stringMatching(/values\.age/) },
      { entryId: unreadable.entryId, code: 'INVALID_INPUT', message: expect.stringMatching(/not valid JSON/) },
      { entryId: forOther.entryId, code: 'CIPHERTEXT_INVALID', message: expect.any(String) },
    ]);
    expect(dataset.content).not.toMatch(/"age":37/);
  });

  it('counts an entry id seen twice once, so a repeated row cannot fill a group', () => {
    const [one, two] = entries(2, 0) as [SealedEntry, SealedEntry];
    const dataset = buildDataset(study, STUDY_ID, [one, two, one, two, one], institution, 'csv');
    expect(dataset.report).toMatchObject({ rowsIn: 2, rowsSuppressed: 2, rowsReleased: 0, kReached: null });
  });

  it('writes NDJSON: one object per line, members in the study’s order', () => {
    const dataset = buildDataset(study, STUDY_ID, entries(3, 0), institution, 'ndjson');
    const lines = dataset.content.split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[3]).toBe('');
    expect(Object.keys(JSON.parse(lines[0] as string) as object)).toEqual(study.fields.map((f) => f.field));
    expect(JSON.parse(lines[0] as string)).toMatchObject({ age: '35-39', 'obs.2345-7': 5, medication: null });
  });

  it('quotes CSV fields per RFC 4180 (comma, double quote, CR, LF), null as empty', () => {
    const s = parseStudyDefinition({
      title: 't',
      fields: [
        { field: 'diagnosis', rule: 'keep' },
        { field: 'sex', rule: 'keep' },
      ],
    });
    const rows = [
      { source: 'medshare-json' as const, values: { diagnosis: 'a,b', sex: 'say "hi"' } },
      { source: 'medshare-json' as const, values: { diagnosis: 'line\nbreak', sex: null } },
      { source: 'medshare-json' as const, values: { diagnosis: 'cr\r', sex: 'plain' } },
    ];
    expect(toCsv(s, rows)).toBe('diagnosis,sex\r\n"a,b","say ""hi"""\r\n"line\nbreak",\r\n"cr\r",plain\r\n');
    expect(toNdjson(s, rows).split('\n')[0]).toBe('{"diagnosis":"a,b","sex":"say \\"hi\\""}');
  });

  it('writes FHIR R4 only from rows whose records were FHIR: a collection Bundle of anonymous Patients and their values', () => {
    const list = entries(4, 3);
    const dataset = buildDataset(study, STUDY_ID, list, institution, 'fhir');
    expect(dataset.report).toMatchObject({ rowsIn: 7, rowsExcluded: 4, rowsReleased: 3, kReached: 3 });
    const bundle = JSON.parse(dataset.content) as {
      resourceType: string;
      type: string;
      entry: { fullUrl: string; resource: Record<string, unknown> }[];
    };
    expect(bundle).toMatchObject({ resourceType: 'Bundle', type: 'collection' });
    const patients = bundle.entry.filter((e) => e.resource.resourceType === 'Patient');
    expect(patients).toHaveLength(3);
    for (const p of patients) {
      expect(p.resource).toEqual({ resourceType: 'Patient', gender: 'male' });
      expect(p.fullUrl).toMatch(/^urn:uuid:[0-9a-f-]{36}$/);
    }
    const urls = new Set(bundle.entry.map((e) => e.fullUrl));
    expect(urls.size).toBe(bundle.entry.length);
    const patientUrls = new Set(patients.map((p) => p.fullUrl));
    const others = bundle.entry.filter((e) => e.resource.resourceType !== 'Patient');
    for (const e of others) expect(patientUrls.has((e.resource.subject as { reference: string }).reference)).toBe(true);
    const ofFirst = others.filter(
      (e) => (e.resource.subject as { reference: string }).reference === patients[0]?.fullUrl,
    );
    expect(ofFirst.map((e) => e.resource)).toEqual([
      {
        resourceType: 'Observation',
        status: 'final',
        code: { coding: [{ system: RESEARCH_FIELD_SYSTEM, code: 'age' }] },
        subject: expect.any(Object),
        effectiveDateTime: '2026-10',
        valueString: '60-64',
      },
      {
        resourceType: 'Observation',
        status: 'final',
        code: { coding: [{ system: RESEARCH_FIELD_SYSTEM, code: 'encounterDate' }] },
        subject: expect.any(Object),
        valueString: '2026-10',
      },
      {
        resourceType: 'Observation',
        status: 'final',
        code: { coding: [{ system: RESEARCH_FIELD_SYSTEM, code: 'postcode' }] },
        subject: expect.any(Object),
        effectiveDateTime: '2026-10',
        valueString: '200',
      },
      {
        resourceType: 'Condition',
        subject: expect.any(Object),
        code: { coding: [{ code: 'I10' }] },
        recordedDate: '2026-10',
      },
      {
        resourceType: 'Observation',
        status: 'final',
        code: { coding: [{ system: 'http://loinc.org', code: '8480-6' }] },
        subject: expect.any(Object),
        effectiveDateTime: '2026-10',
        valueString: '150-<160',
      },
      {
        resourceType: 'Observation',
        status: 'final',
        code: { coding: [{ system: 'http://loinc.org', code: '2345-7' }] },
        subject: expect.any(Object),
        effectiveDateTime: '2026-10',
        valueQuantity: { value: 7.2 },
      },
      {
        resourceType: 'MedicationStatement',
        status: 'unknown',
        subject: expect.any(Object),
        medicationCodeableConcept: { coding: [{ code: 'C09AA05' }] },
        effectiveDateTime: '2026-10',
      },
    ]);
    for (const banned of [
      'identifier',
      'name',
      'telecom',
      'address',
      'MRN-77',
      'Wang',
      '200031',
      ...list.map((e) => e.entryId),
    ]) {
      expect(dataset.content).not.toContain(banned);
    }
  });
});
