// SPDX-License-Identifier: Apache-2.0
import { MedshareError } from '../errors/medshare-error';
import { RESEARCH_FIELDS, fieldSpec } from './fields';
import { generalize, isGeneralized, parseStudyDefinition, quasiIdentifiers, type StudyField } from './study';

const STUDY = {
  title: 'Hypertension outcomes 2026',
  fields: [
    { field: 'age', rule: 'band', width: 5 },
    { field: 'sex', rule: 'keep' },
    { field: 'encounterDate', rule: 'month' },
    { field: 'postcode', rule: 'prefix', length: 3 },
    { field: 'diagnosis', rule: 'prefix', length: 3 },
    { field: 'obs.8480-6', rule: 'band', width: 10 },
    { field: 'obs.2345-7', rule: 'keep' },
  ],
  k: 5,
};

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof MedshareError) return error.message; // "CODE: detail"
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('study definitions', () => {
  it('parses a study and names its quasi-identifiers from the dictionary, not from the study', () => {
    const study = parseStudyDefinition(STUDY);
    expect(study.k).toBe(5);
    expect(study.fields).toHaveLength(7);
    expect(quasiIdentifiers(study)).toEqual(['age', 'sex', 'encounterDate', 'postcode']);
    expect(parseStudyDefinition({ ...STUDY, k: undefined }).k).toBe(5);
  });

  it.each(Object.keys(RESEARCH_FIELDS).filter((f) => fieldSpec(f)?.class === 'direct' || f === 'notes'))(
    'refuses a study that would release %s',
    (field) => {
      const study = { ...STUDY, fields: [...STUDY.fields, { field, rule: 'keep' }] };
      expect(codeOf(() => parseStudyDefinition(study))).toMatch(
        new RegExp(`^STUDY_RELEASES_IDENTIFIER: .*study\\.fields\\[7\\]\\.field "${field}"`),
      );
    },
  );

  it.each([
    [{ field: 'age', rule: 'keep' }, /rule "keep" is not allowed for age: use band \(width 5…50\)/],
    [{ field: 'age', rule: 'band', width: 2 }, /study\.fields\[0\]\.width must be in \[5, 50\]/],
    [{ field: 'birthDate', rule: 'keep' }, /rule "keep" is not allowed for birthDate: use month, year/],
    [{ field: 'postcode', rule: 'prefix', length: 6 }, /length must be in \[1, 4\]/],
    [{ field: 'postcode', rule: 'keep' }, /not allowed for postcode/],
    [{ field: 'diagnosis', rule: 'month' }, /not allowed for diagnosis/],
    [{ field: 'sex', rule: 'keep', width: 5 }, /width is not allowed with rule "keep"/],
    [{ field: 'bloodGroup', rule: 'keep' }, /"bloodGroup" is not in the research field dictionary/],
    [{ field: 'obs.12345', rule: 'keep' }, /not in the research field dictionary/],
    [{ field: 'age', rule: 'band', width: 5, extra: 1 }, /study\.fields\[0\]\.extra is not an allowed field/],
  ])('refuses the field %j', (field, message) => {
    expect(codeOf(() => parseStudyDefinition({ ...STUDY, fields: [field] }))).toMatch(
      new RegExp(`^INVALID_INPUT: .*${message.source}`),
    );
  });

  it('refuses malformed studies with the failed check named', () => {
    expect(codeOf(() => parseStudyDefinition({ ...STUDY, fields: [] }))).toMatch(/study\.fields must be an array/);
    expect(codeOf(() => parseStudyDefinition({ ...STUDY, k: 1 }))).toMatch(/study\.k must be in \[2, 100\]/);
    expect(codeOf(() => parseStudyDefinition({ ...STUDY, title: '' }))).toMatch(/study\.title/);
    expect(codeOf(() => parseStudyDefinition({ ...STUDY, owner: 'x' }))).toMatch(/study\.owner is not an allowed/);
    expect(codeOf(() => parseStudyDefinition({ ...STUDY, fields: [STUDY.fields[1], STUDY.fields[1]] }))).toMatch(
      /study\.fields\[1\]\.field "sex" is named twice/,
    );
  });
});

describe('generalization', () => {
  const study = parseStudyDefinition(STUDY);
  const rule = (name: string): StudyField => {
    const field = study.fields.find((f) => f.field === name);
    if (!field) throw new Error(name);
    return field;
  };

  it.each([
    ['age', 37, '35-39'],
    ['age', 40, '40-44'],
    ['age', 0, '0-4'],
    ['sex', 'female', 'female'],
    ['encounterDate', '2026-11-30', '2026-11'],
    ['encounterDate', '2026-11-30T08:15:00Z', '2026-11'],
    ['postcode', '100081', '100'],
    ['diagnosis', 'I10.9', 'I10'],
    ['obs.8480-6', 137, '130-<140'],
    ['obs.2345-7', 5.6, 5.6],
    ['age', undefined, null],
  ])('%s %j → %j, which the institution accepts as generalized', (name, value, released) => {
    expect(generalize(rule(name), value)).toEqual(released);
    expect(isGeneralized(rule(name), released)).toBe(true);
  });

  it.each([
    ['age', 37],
    ['age', '35-40'],
    ['age', '36-40'],
    ['encounterDate', '2026-11-30'],
    ['postcode', '1000'],
    ['obs.8480-6', 137],
    ['sex', 'F'],
  ])('the institution refuses %s %j as not generalized by the study', (name, released) => {
    expect(isGeneralized(rule(name), released)).toBe(false);
  });

  it('refuses source values of the wrong type, naming them', () => {
    expect(codeOf(() => generalize(rule('age'), 'old'))).toMatch(/^INVALID_INPUT: age must be an integer/);
    expect(codeOf(() => generalize(rule('encounterDate'), '30/11/2026'))).toMatch(/ISO 8601 date/);
    expect(codeOf(() => generalize(rule('postcode'), 'SW1A 1AA'))).toMatch(/postcode has the wrong format/);
    expect(codeOf(() => generalize({ field: 'name', rule: 'keep' }, 'Li Lei'))).toMatch(
      /^STUDY_RELEASES_IDENTIFIER: name is never released/,
    );
  });
});
