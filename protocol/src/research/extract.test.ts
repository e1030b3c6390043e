// SPDX-License-Identifier: Apache-2.0
import { extractAad, parseExtractContent, profileAad } from './extract';
import { parseStudyDefinition } from './study';

describe('extract and profile formats (§19.4)', () => {
  const studyId = 'a'.repeat(64);
  const keyId = 'b'.repeat(64);

  it('binds an extract to its study and institution, and a profile to its patient, by their AADs', () => {
    expect(Buffer.from(extractAad(studyId, keyId)).toString()).toBe(`medshare/v1/extract\n${studyId}\n${keyId}`);
    expect(Buffer.from(profileAad(keyId)).toString()).toBe(`medshare/v1/profile\n${keyId}`);
  });

  it('accepts exactly the study fields, each as its rule releases it', () => {
    const study = parseStudyDefinition({
      title: 't',
      fields: [
        { field: 'age', rule: 'band', width: 10 },
        { field: 'sex', rule: 'keep' },
      ],
    });
    const extract = { v: 1, studyId, source: 'fhir-r4', values: { age: '30-39', sex: null } };
    expect(parseExtractContent(extract, study, studyId)).toEqual(extract);
    expect(() => parseExtractContent({ ...extract, values: { age: '30-34', sex: null } }, study, studyId)).toThrow(
      expect.objectContaining({
        code: 'EXTRACT_NOT_GENERALIZED',
        message: expect.stringMatching(/extract\.values\.age/),
      }),
    );
    expect(() => parseExtractContent({ ...extract, values: { age: '30-39' } }, study, studyId)).toThrow(
      expect.objectContaining({
        code: 'INVALID_INPUT',
        message: expect.stringMatching(/extract\.values\.sex is missing/),
      }),
    );
  });
});
