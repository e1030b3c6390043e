// SPDX-License-Identifier: Apache-2.0
/**
 * The patient's indicator store: what the patient's app keeps on its side for daily indicators
 * (docs/protocol.md §21) — the openings of attested keyword commitments (keyword, blinding,
 * commitment, record), the daily readings in each indicator's unit, and the studies joined with
 * the pseudonym each join returned. One file per patient key, sealed for that key
 * (sealed-file.ts); nothing in it is ever sent or logged: only proofs and ciphertexts made from it.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  expectInteger,
  expectObject,
  expectString,
  fail,
  keyIdOf,
  COMPRESSED_POINT,
  HEX64,
  KEYWORD_CODE,
  PSEUDONYM,
} from '@medshare/protocol';
import type { UserKey } from '../client/medshare-client';
import { readSealedFile, writeSealedFile } from './sealed-file';

/** The opening of a record's attested keyword commitment. */
export interface KeywordOpening {
  readonly recordId: string;
  readonly keyword: string;
  /** 64 hex. */
  readonly blinding: string;
  readonly commitment: string;
  readonly doctorKeyId: string;
}

/** One day's readings, in each indicator's unit (e.g. mmHg), by indicator name. */
export interface DailyReadings {
  readonly day: number;
  readonly values: Readonly<Record<string, number>>;
}

/** A study this patient joined: the pseudonym is the study's name for them. */
export interface Participation {
  readonly studyId: string;
  readonly pseudonym: string;
  readonly recordId: string;
  readonly joinedAt: number;
  /** Days already submitted, ascending. */
  readonly submitted: readonly number[];
  readonly leftAt?: number;
}

interface StoreContent {
  readonly openings: KeywordOpening[];
  readonly readings: DailyReadings[];
  readonly studies: Participation[];
}

const EMPTY: StoreContent = { openings: [], readings: [], studies: [] };
const NAME = /^[a-z][A-Za-z0-9]{0,31}$/;
const MAX_DAY = 1_000_366;

function parseOpening(v: unknown, n: string): KeywordOpening {
  const o = expectObject(v, n, ['recordId', 'keyword', 'blinding', 'commitment', 'doctorKeyId']);
  return {
    recordId: expectString(o.recordId, `${n}.recordId`, { pattern: HEX64 }),
    keyword: expectString(o.keyword, `${n}.keyword`, { pattern: KEYWORD_CODE }),
    blinding: expectString(o.blinding, `${n}.blinding`, { pattern: HEX64 }),
    commitment: expectString(o.commitment, `${n}.commitment`, { pattern: COMPRESSED_POINT }),
    doctorKeyId: expectString(o.doctorKeyId, `${n}.doctorKeyId`, { pattern: HEX64 }),
  };
}

/** A reading in its unit: a finite, non-negative number. */
export function readingValue(v: unknown, n: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0)
    throw fail('INVALID_INPUT', `${n} must be a non-negative number`);
  return v;
}

function parseReadings(v: unknown, n: string): DailyReadings {
  const o = expectObject(v, n, ['day', 'values']);
  const values = o.values;
  if (typeof values !== 'object' || values === null || Array.isArray(values))
    throw fail('INVALID_INPUT', `${n}.values must be an object`);
  for (const [name, value] of Object.entries(values)) {
    if (!NAME.test(name)) throw fail('INVALID_INPUT', `${n}.values: "${name}" is not an indicator name`);
    readingValue(value, `${n}.values.${name}`);
  }
  return { day: expectInteger(o.day, `${n}.day`, 0, MAX_DAY), values: { ...(values as Record<string, number>) } };
}

function parseParticipation(v: unknown, n: string): Participation {
  const o = expectObject(v, n, ['studyId', 'pseudonym', 'recordId', 'joinedAt', 'submitted', 'leftAt']);
  if (!Array.isArray(o.submitted)) throw fail('INVALID_INPUT', `${n}.submitted must be an array`);
  return {
    studyId: expectString(o.studyId, `${n}.studyId`, { pattern: HEX64 }),
    pseudonym: expectString(o.pseudonym, `${n}.pseudonym`, { pattern: PSEUDONYM }),
    recordId: expectString(o.recordId, `${n}.recordId`, { pattern: HEX64 }),
    joinedAt: expectInteger(o.joinedAt, `${n}.joinedAt`),
    submitted: o.submitted.map((d: unknown, i: number) => expectInteger(d, `${n}.submitted[${i}]`, 0, MAX_DAY)),
    ...(o.leftAt === undefined ? {} : { leftAt: expectInteger(o.leftAt, `${n}.leftAt`) }),
  };
}

function list<T>(v: unknown, n: string, item: (v: unknown, n: string) => T): T[] {
  if (!Array.isArray(v)) throw fail('INVALID_INPUT', `${n} must be an array`);
  return v.map((x: unknown, i: number) => item(x, `${n}[${i}]`));
}

function parseContent(value: unknown): StoreContent {
  const o = expectObject(value, 'store', ['openings', 'readings', 'studies']);
  return {
    openings: list(o.openings, 'store.openings', parseOpening),
    readings: list(o.readings, 'store.readings', parseReadings),
    studies: list(o.studies, 'store.studies', parseParticipation),
  };
}

/**
 * The patient's store at `<dir>/<keyId>.json`. Every change is written at once (the file is small:
 * a reading a day per study); a refused step writes nothing.
 */
export class PatientStore {
  readonly path: string;
  readonly #patient: UserKey;
  #content: StoreContent;

  private constructor(path: string, patient: UserKey, content: StoreContent) {
    this.path = path;
    this.#patient = patient;
    this.#content = content;
  }

  /** Opens (or starts) the store of `patient` in `dir`. */
  static open(dir: string, patient: UserKey): PatientStore {
    const path = join(dir, `${keyIdOf(patient.publicKey)}.json`);
    const content = existsSync(path) ? parseContent(readSealedFile(path, 'indicator-store', patient).payload) : EMPTY;
    return new PatientStore(path, patient, content);
  }

  get openings(): readonly KeywordOpening[] {
    return this.#content.openings;
  }

  get readings(): readonly DailyReadings[] {
    return this.#content.readings;
  }

  get studies(): readonly Participation[] {
    return this.#content.studies;
  }

  participation(studyId: string): Participation | undefined {
    return this.#content.studies.find((s) => s.studyId === studyId);
  }

  readingsOf(day: number): DailyReadings | undefined {
    return this.#content.readings.find((r) => r.day === day);
  }

  #save(content: StoreContent): void {
    writeSealedFile(this.path, 'indicator-store', this.#patient, content);
    this.#content = content;
  }

  addOpening(opening: KeywordOpening): void {
    const checked = parseOpening(opening, 'opening');
    const others = this.#content.openings.filter((o) => o.recordId !== checked.recordId);
    this.#save({ ...this.#content, openings: [...others, checked] });
  }

  /** Records readings for a day (merged with that day's earlier ones: a later value of an indicator replaces it). */
  record(day: number, values: Readonly<Record<string, number>>): DailyReadings {
    const merged = parseReadings({ day, values: { ...this.readingsOf(day)?.values, ...values } }, 'readings');
    const readings = [...this.#content.readings.filter((r) => r.day !== day), merged].sort((a, b) => a.day - b.day);
    this.#save({ ...this.#content, readings });
    return merged;
  }

  setParticipation(participation: Participation): void {
    const checked = parseParticipation(participation, 'participation');
    const others = this.#content.studies.filter((s) => s.studyId !== checked.studyId);
    this.#save({ ...this.#content, studies: [...others, checked] });
  }
}
