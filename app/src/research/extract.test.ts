// SPDX-License-Identifier: Apache-2.0
import { fromBase64, toBase64, utf8 } from '@medshare/crypto/bytes';
import { generateKeyPair } from '@medshare/crypto/sm2';
import { keyIdOf, parseStudyDefinition, type ExtractContent } from '@medshare/protocol';
import { ageAt, deriveExtract, encodeExtract, readExtract } from './extract';
import { readRecordSource } from './record-source';
import { openExtract, sealExtract as sealBytes } from './research-crypto';
import { FHIR_BUNDLE, IDENTIFIERS, JSON_RECORD, STUDY_DEFINITION } from '../testing/research-fixtures';

const STUDY_ID = 'c'.repeat(64);
const OTHER_STUDY = 'd'.repeat(64);
const study = parseStudyDefinition(STUDY_DEFINITION);
const institution = generateKeyPair();
const otherInstitution = generateKeyPair();

const content = (record: unknown): Uint8Array => utf8(JSON.stringify(record));
const derive = (record: unknown): ExtractContent => deriveExtract(study, STUDY_ID, readRecordSource(content(record)));

const forInstitution = { keyId: keyIdOf(institution.publicKey), publicKey: institution.publicKey };
/** Seals (JSON of) `content` for the institution under STUDY_ID, whatever the content says. */
const sealExtract = (content: unknown): { extract: string; extractKeyWrap: string } =>
  sealBytes(encodeExtract(content as ExtractContent), STUDY_ID, forInstitution);

/** The plaintext the institution would see, opened without any check. */
function sealedPlaintext(sealed: { extract: string; extractKeyWrap: string }): string {
  return Buffer.from(openExtract(sealed, STUDY_ID, institution)).toString('utf8');
}

describe('research extracts from a medshare JSON record', () => {
  it('releases each study field generalized, null where the record lacks it', () => {
    expect(derive(JSON_RECORD)).toEqual({
      v: 1,
      studyId: STUDY_ID,
      source: 'medshare-json',
      values: {
        age: '35-39',
        sex: 'female',
        encounterDate: '2026-11',
        postcode: '100',
        diagnosis: 'I10',
        'obs.8480-6': '130-<140',
        'obs.2345-7': 5.6,
        medication: null,
      },
    });
  });

  it('seals no direct identifier, no free text, and no exact quasi-identifier', () => {
    const sealed = sealExtract(derive(JSON_RECORD));
    const text = sealedPlaintext(sealed);
    for (const identifier of IDENTIFIERS) expect(text).not.toContain(identifier);
    expect(text).toBe(
      '{"source":"medshare-json","studyId":"' +
        STUDY_ID +
        '","v":1,"values":{"age":"35-39","diagnosis":"I10","encounterDate":"2026-11","medication":null,"obs.2345-7":5.6,"obs.8480-6":"130-<140","postcode":"100","sex":"female"}}',
    );
  });

  it('derives the age from the birth date at the encounter date when the record has none', () => {
    const { age: _age, ...noAge } = JSON_RECORD;
    expect(derive({ ...noAge, birthDate: '1989-12-01', encounterDate: '2026-11-30' }).values.age).toBe('35-39');
    expect(derive({ ...noAge, birthDate: '1986-11-30', encounterDate: '2026-11-30' }).values.age).toBe('40-44');
    expect(derive({ ...noAge, encounterDate: undefined }).values.age).toBeNull();
  });

  it.each([
    ['1990-06-15', '2026-06-14', 35],
    ['1990-06-15', '2026-06-15', 36],
    ['2000-02-29', '2026-02-28', 25],
    ['2000-02-29', '2026-03-01', 26],
    ['2026-01-01', '2026-01-01T10:00:00Z', 0],
  ])('age from %s at %s is %d', (birth, at, age) => {
    expect(ageAt(birth, at)).toBe(age);
  });

  it('refuses a record value the dictionary does not accept, naming the field, rather than guess', () => {
    expect(() => derive({ ...JSON_RECORD, postcode: 'SW1A 1AA' })).toThrow(
      expect.objectContaining({
        code: 'INVALID_INPUT',
        message: expect.stringMatching(/record postcode has the wrong/),
      }),
    );
    expect(() => derive({ ...JSON_RECORD, age: undefined, birthDate: '2027-01-01' })).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT', message: expect.stringMatching(/before its birth date/) }),
    );
    expect(() => readRecordSource(utf8('Li Lei, hypertension'))).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT', message: expect.stringMatching(/not JSON/) }),
    );
    expect(() => readRecordSource(utf8('[1,2]'))).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
    expect(() => readRecordSource(content({ observations: [137] }))).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT', message: expect.stringMatching(/observations must be/) }),
    );
  });
});

describe('research extracts from FHIR R4', () => {
  it('maps a Bundle to the dictionary: gender, birth date at the encounter, postal code, codes, LOINC values', () => {
    expect(derive(FHIR_BUNDLE)).toEqual({
      v: 1,
      studyId: STUDY_ID,
      source: 'fhir-r4',
      values: {
        age: '60-64',
        sex: 'male',
        encounterDate: '2026-10',
        postcode: '200',
        diagnosis: 'I10',
        'obs.8480-6': '150-<160',
        'obs.2345-7': 7.2,
        medication: 'C09AA05',
      },
    });
  });

  it('seals none of the identifiers, names, telecoms, address lines, narratives or notes the Bundle holds', () => {
    const text = sealedPlaintext(sealExtract(derive(FHIR_BUNDLE)));
    for (const identifier of [...IDENTIFIERS, 'Wang', 'MRN-77', 'Jianguo', '1966-03-02', '200031', 'narrative']) {
      expect(text).not.toContain(identifier);
    }
  });

  it('reads a single resource, skips entered-in-error resources, and releases partial dates only at their precision', () => {
    const patient = { resourceType: 'Patient', gender: 'female', birthDate: '1971', name: [{ family: 'Zhao' }] };
    expect(derive(patient).values).toMatchObject({ sex: 'female', age: null });
    const yearStudy = parseStudyDefinition({ title: 't', fields: [{ field: 'birthDate', rule: 'year' }] });
    const monthStudy = parseStudyDefinition({ title: 't', fields: [{ field: 'birthDate', rule: 'month' }] });
    const source = readRecordSource(content(patient));
    expect(deriveExtract(yearStudy, STUDY_ID, source).values.birthDate).toBe('1971');
    expect(deriveExtract(monthStudy, STUDY_ID, source).values.birthDate).toBeNull();
    const voided = {
      resourceType: 'Bundle',
      type: 'collection',
      entry: [
        {
          resource: {
            resourceType: 'Condition',
            verificationStatus: { coding: [{ code: 'entered-in-error' }] },
            code: { coding: [{ code: 'E11.9' }] },
          },
        },
        { resource: { resourceType: 'Condition', code: { coding: [{ code: 'J45.909' }] } } },
      ],
    };
    expect(derive(voided).values.diagnosis).toBe('J45');
  });

  it('refuses a FHIR resource type that has no extract', () => {
    expect(() => derive({ resourceType: 'Practitioner', name: [{ family: 'Sun' }] })).toThrow(
      expect.objectContaining({
        code: 'INVALID_INPUT',
        message: expect.stringMatching(/FHIR Practitioner has no research extract/),
      }),
    );
  });
});

describe('sealing and opening an extract', () => {
  const extract = derive(JSON_RECORD);

  it('opens for the institution and the study it was sealed for, and checks it', () => {
    const sealed = sealExtract(extract);
    expect(fromBase64(sealed.extract).length).toBeLessThan(1024);
    expect(readExtract(sealed, institution, study, STUDY_ID)).toEqual(extract);
  });

  it('refuses with CIPHERTEXT_INVALID an extract presented for another institution or study, or altered', () => {
    const sealed = sealExtract(extract);
    expect(() => readExtract(sealed, otherInstitution, study, STUDY_ID)).toThrow(
      expect.objectContaining({ code: 'CIPHERTEXT_INVALID' }),
    );
    expect(() => readExtract(sealed, institution, study, OTHER_STUDY)).toThrow(
      expect.objectContaining({
        code: 'CIPHERTEXT_INVALID',
        message: expect.stringMatching(/sealed for another place/),
      }),
    );
    const box = fromBase64(sealed.extract);
    for (const at of [0, 1, 20, box.length - 1]) {
      const altered = Uint8Array.from(box);
      altered[at] = (altered[at] as number) ^ 1;
      expect(() => readExtract({ ...sealed, extract: toBase64(altered) }, institution, study, STUDY_ID)).toThrow(
        expect.objectContaining({ code: 'CIPHERTEXT_INVALID' }),
      );
    }
    const wrap = sealed.extractKeyWrap;
    const badWrap = `${wrap.slice(0, 100)}${wrap[100] === '0' ? '1' : '0'}${wrap.slice(101)}`;
    expect(() => readExtract({ ...sealed, extractKeyWrap: badWrap }, institution, study, STUDY_ID)).toThrow(
      expect.objectContaining({ code: 'CIPHERTEXT_INVALID' }),
    );
    expect(() => readExtract({ ...sealed, extract: '***' }, institution, study, STUDY_ID)).toThrow(
      expect.objectContaining({ code: 'CIPHERTEXT_INVALID' }),
    );
  });

  it('refuses an extract that releases an un-generalized value (EXTRACT_NOT_GENERALIZED, naming the field)', () => {
    const raw = { ...extract, values: { ...extract.values, age: 37 } };
    expect(() => readExtract(sealExtract(raw), institution, study, STUDY_ID)).toThrow(
      expect.objectContaining({ code: 'EXTRACT_NOT_GENERALIZED', message: expect.stringMatching(/values\.age/) }),
    );
    const day = { ...extract, values: { ...extract.values, encounterDate: '2026-11-30' } };
    expect(() => readExtract(sealExtract(day), institution, study, STUDY_ID)).toThrow(
      expect.objectContaining({ code: 'EXTRACT_NOT_GENERALIZED' }),
    );
  });

  it('refuses a malformed extract, another study’s inside, a missing or extra field (INVALID_INPUT)', () => {
    const variants: unknown[] = [
      { ...extract, v: 2 },
      { ...extract, studyId: OTHER_STUDY },
      { ...extract, source: 'hl7v2' },
      { ...extract, values: { ...extract.values, name: null } },
      { ...extract, values: { age: '35-39' } },
      { ...extract, extra: 1 },
    ];
    for (const variant of variants) {
      // Sealed under this study's AAD, whatever the plaintext claims.
      const sealed = sealExtract(variant);
      expect(() => readExtract(sealed, institution, study, STUDY_ID)).toThrow(
        expect.objectContaining({ code: 'INVALID_INPUT' }),
      );
    }
  });

  it('bounds the sealed extract at EXTRACT_MAX_BYTES on both sides', () => {
    const huge = { ...extract, values: { ...extract.values, diagnosis: 'x'.repeat(9000) } };
    expect(() => sealExtract(huge)).toThrow(expect.objectContaining({ code: 'EXTRACT_TOO_LARGE' }));
    const sealed = sealExtract(extract);
    expect(() => readExtract({ ...sealed, extract: 'A'.repeat(11_000) }, institution, study, STUDY_ID)).toThrow(
      expect.objectContaining({ code: 'EXTRACT_TOO_LARGE' }),
    );
  });
});
