// SPDX-License-Identifier: Apache-2.0
import { fail } from '../errors/medshare-error';
import { expectInteger, expectObject, expectOneOf, expectString } from '../validation/assert';
import { fieldSpec, SEX_VALUES, type FieldSpec, type FieldType } from './fields';

/**
 * A research study's definition (docs/protocol.md §19): what an approved institution publishes on
 * the ledger and what every patient's app applies to a record before anything of it reaches the
 * institution. The chaincode parses it on publication (so a study that would release a direct
 * identifier never exists) and the apps parse it again before deriving an extract.
 */

export type GeneralizationRule =
  | { readonly rule: 'keep' }
  /** Integers: `lo-hi` inclusive (age 37, width 5 → `35-39`); numbers: `lo-<hi` (5.6, width 1 → `5-<6`). */
  | { readonly rule: 'band'; readonly width: number }
  /** Dates: `YYYY-MM`. */
  | { readonly rule: 'month' }
  /** Dates: `YYYY`. */
  | { readonly rule: 'year' }
  /** Postcodes and codes: the first `length` characters. */
  | { readonly rule: 'prefix'; readonly length: number };

export type StudyField = { readonly field: string } & GeneralizationRule;

export type StudyDefinition = {
  /** Public, the institution's words (never a patient's): 1…200 characters. */
  readonly title: string;
  /** The fields released, each with its rule: 1…32, no field twice. */
  readonly fields: readonly StudyField[];
  /** The k of k-anonymity the export enforces over the study's quasi-identifiers: 2…100. */
  readonly k: number;
  /** After this time (ms since the epoch) the study takes no new warrants or contributions. */
  readonly closesAt?: number;
};

/** A study definition as an institution sends it (the `study-publish` body): `k` may be absent (then 5). */
export type StudyDefinitionInput = Omit<StudyDefinition, 'k'> & { readonly k?: number };

export const STUDY_DEFAULT_K = 5;
export const STUDY_MAX_FIELDS = 32;
export const STUDY_TITLE_MAX = 200;

/** Which rules a field's type allows, with their parameter bounds; quasi-identifiers are stricter. */
interface Allowed {
  readonly rules: readonly GeneralizationRule['rule'][];
  readonly band?: readonly [number, number];
  readonly prefix?: readonly [number, number];
}

function allowedRules(spec: FieldSpec): Allowed {
  const quasi = spec.class === 'quasi';
  const byType: Record<FieldType, Allowed> = {
    // Age is the one integer quasi-identifier: bands of at least 5 years.
    integer: quasi ? { rules: ['band'], band: [5, 50] } : { rules: ['keep', 'band'], band: [1, 1000] },
    number: { rules: ['keep', 'band'], band: [1, 1000] },
    // Dates never to the day.
    date: { rules: ['month', 'year'] },
    // Six-digit postcodes: at most the first four digits (the district, not the street).
    postcode: { rules: ['prefix'], prefix: [1, 4] },
    sex: { rules: ['keep'] },
    code: { rules: ['keep', 'prefix'], prefix: [1, 10] },
    text: { rules: [] },
  };
  return byType[spec.type];
}

function describe(allowed: Allowed): string {
  return allowed.rules
    .map((r) => {
      if (r === 'band' && allowed.band) return `band (width ${allowed.band[0]}…${allowed.band[1]})`;
      if (r === 'prefix' && allowed.prefix) return `prefix (length ${allowed.prefix[0]}…${allowed.prefix[1]})`;
      return r;
    })
    .join(', ');
}

function parseField(value: unknown, name: string): StudyField {
  const o = expectObject(value, name, ['field', 'rule', 'width', 'length']);
  const field = expectString(o.field, `${name}.field`, { maxLength: 40 });
  const spec = fieldSpec(field);
  if (!spec) throw fail('INVALID_INPUT', `${name}.field "${field}" is not in the research field dictionary`);
  if (spec.class === 'direct')
    throw fail('STUDY_RELEASES_IDENTIFIER', `${name}.field "${field}" is a direct identifier and is never released`);
  if (spec.class === 'text')
    throw fail('STUDY_RELEASES_IDENTIFIER', `${name}.field "${field}" is free text and is always dropped`);
  const allowed = allowedRules(spec);
  const rule = expectOneOf(o.rule, `${name}.rule`, ['keep', 'band', 'month', 'year', 'prefix'] as const);
  if (!allowed.rules.includes(rule))
    throw fail('INVALID_INPUT', `${name}.rule "${rule}" is not allowed for ${field}: use ${describe(allowed)}`);
  const [extraAllowed] = rule === 'band' ? ['width'] : rule === 'prefix' ? ['length'] : [undefined];
  for (const extra of ['width', 'length'] as const) {
    if (extra !== extraAllowed && o[extra] !== undefined)
      throw fail('INVALID_INPUT', `${name}.${extra} is not allowed with rule "${rule}"`);
  }
  if (rule === 'band') {
    const [min, max] = allowed.band ?? [1, 1];
    return { field, rule, width: expectInteger(o.width, `${name}.width`, min, max) };
  }
  if (rule === 'prefix') {
    const [min, max] = allowed.prefix ?? [1, 1];
    return { field, rule, length: expectInteger(o.length, `${name}.length`, min, max) };
  }
  return { field, rule };
}

/**
 * Parses an untrusted study definition as it was sent, `k` absent when it was: a request body is
 * verified against its signatures as parsed, so the parse fills in nothing. Refuses with
 * `STUDY_RELEASES_IDENTIFIER` a field that is a direct identifier or free text, and with
 * `INVALID_INPUT` anything else malformed (an unknown field, a rule the field's kind does not
 * allow, a quasi-identifier not generalized enough).
 */
export function parseStudyInput(value: unknown, name = 'study'): StudyDefinitionInput {
  const o = expectObject(value, name, ['title', 'fields', 'k', 'closesAt']);
  const title = expectString(o.title, `${name}.title`, { maxLength: STUDY_TITLE_MAX });
  if (!Array.isArray(o.fields) || o.fields.length < 1 || o.fields.length > STUDY_MAX_FIELDS)
    throw fail('INVALID_INPUT', `${name}.fields must be an array of 1…${STUDY_MAX_FIELDS} fields`);
  const fields = o.fields.map((f: unknown, i: number) => parseField(f, `${name}.fields[${i}]`));
  const seen = new Set<string>();
  for (const [i, f] of fields.entries()) {
    if (seen.has(f.field)) throw fail('INVALID_INPUT', `${name}.fields[${i}].field "${f.field}" is named twice`);
    seen.add(f.field);
  }
  return {
    title,
    fields,
    ...(o.k === undefined ? {} : { k: expectInteger(o.k, `${name}.k`, 2, 100) }),
    ...(o.closesAt === undefined ? {} : { closesAt: expectInteger(o.closesAt, `${name}.closesAt`) }),
  };
}

/** The definition with its defaults: `k` 5 when the institution gave none (what the ledger stores). */
export function completeStudy(input: StudyDefinitionInput): StudyDefinition {
  return { ...input, k: input.k ?? STUDY_DEFAULT_K };
}

/** Parses an untrusted study definition (parseStudyInput) and fills in its defaults. */
export function parseStudyDefinition(value: unknown, name = 'study'): StudyDefinition {
  return completeStudy(parseStudyInput(value, name));
}

/** The study's quasi-identifier fields, in the study's order: the columns k-anonymity groups by. */
export function quasiIdentifiers(study: StudyDefinition): string[] {
  return study.fields.filter((f) => fieldSpec(f.field)?.class === 'quasi').map((f) => f.field);
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})(?:T[0-9:.]+(?:Z|[+-]\d{2}:\d{2})?)?$/;

function sourceValue(type: FieldType, value: unknown, name: string): string | number {
  switch (type) {
    case 'integer':
      return expectInteger(value, name, 0, 200);
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value) || Math.abs(value) > 1e9)
        throw fail('INVALID_INPUT', `${name} must be a finite number`);
      return value;
    case 'date': {
      const m = ISO_DATE.exec(expectString(value, name, { maxLength: 40 }));
      if (!m || Number(m[2]) < 1 || Number(m[2]) > 12 || Number(m[3]) < 1 || Number(m[3]) > 31)
        throw fail('INVALID_INPUT', `${name} must be an ISO 8601 date (YYYY-MM-DD)`);
      return `${m[1]}-${m[2]}-${m[3]}`;
    }
    case 'postcode':
      return expectString(value, name, { maxLength: 10, pattern: /^[0-9]{4,10}$/ });
    case 'sex':
      return expectOneOf(value, name, SEX_VALUES);
    case 'code':
      return expectString(value, name, { maxLength: 20, pattern: /^[A-Za-z0-9][A-Za-z0-9.-]{0,19}$/ });
    default:
      throw fail('INVALID_INPUT', `${name} is free text and is never released`);
  }
}

function band(value: number, width: number, integer: boolean): string {
  const lo = Math.floor(value / width) * width;
  return integer ? `${lo}-${lo + width - 1}` : `${lo}-<${lo + width}`;
}

/**
 * The released form of one source value under its study rule (what an extract holds). The value is
 * checked against the field's type first; `null`/`undefined` (the record does not have it) is null.
 */
export function generalize(field: StudyField, value: unknown, name = field.field): string | number | null {
  if (value === null || value === undefined) return null;
  const spec = fieldSpec(field.field);
  if (!spec || spec.class === 'direct' || spec.class === 'text')
    throw fail('STUDY_RELEASES_IDENTIFIER', `${name} is never released`);
  const v = sourceValue(spec.type, value, name);
  switch (field.rule) {
    case 'keep':
      return v;
    case 'band':
      return band(v as number, field.width, spec.type === 'integer');
    case 'month':
      return (v as string).slice(0, 7);
    case 'year':
      return (v as string).slice(0, 4);
    case 'prefix':
      return (v as string).slice(0, field.length);
  }
}

function isKept(spec: FieldSpec, released: unknown): boolean {
  try {
    return sourceValue(spec.type, released, 'value') === released;
  } catch {
    return false;
  }
}

function isBand(spec: FieldSpec, width: number, released: unknown): boolean {
  if (typeof released !== 'string') return false;
  const integer = spec.type === 'integer';
  const m = (integer ? /^(-?\d+)-(-?\d+)$/ : /^(-?\d+)-<(-?\d+)$/).exec(released);
  if (!m) return false;
  const lo = Number(m[1]);
  return lo % width === 0 && Number(m[2]) - lo === (integer ? width - 1 : width);
}

const RELEASED_PATTERN = {
  month: /^\d{4}-(0[1-9]|1[0-2])$/,
  year: /^\d{4}$/,
  prefix: /^[A-Za-z0-9.-]+$/,
} as const;

/** Whether `released` is a value {@link generalize} can produce for this field (the institution's check of an extract). */
export function isGeneralized(field: StudyField, released: unknown): boolean {
  if (released === null) return true;
  const spec = fieldSpec(field.field);
  if (!spec) return false;
  if (field.rule === 'keep') return isKept(spec, released);
  if (field.rule === 'band') return isBand(spec, field.width, released);
  if (typeof released !== 'string' || !RELEASED_PATTERN[field.rule].test(released)) return false;
  return field.rule !== 'prefix' || released.length <= field.length;
}
