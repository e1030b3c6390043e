// SPDX-License-Identifier: Apache-2.0
import { generateKeyPair } from '@medshare/crypto/sm2';
import { toHex } from '@medshare/crypto/bytes';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PatientStore } from './patient-store';
import { createStudyKeyFile, readStudyKeyFile } from './study-key';

describe('the sealed local files: the study key and the patient store', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'medshare-indicators-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const institution = generateKeyPair();

  it('a study key file is 0600, holds no secret in the clear and opens with the institution key only', () => {
    const path = join(dir, 'keys', 'study.key');
    const { publicKey } = createStudyKeyFile(path, institution);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'keys')).mode & 0o777).toBe(0o700);
    const key = readStudyKeyFile(path, institution);
    expect(key.publicKey).toBe(publicKey);
    expect(readFileSync(path, 'utf8')).not.toContain(toHex(key.secretKey));
    expect(() => readStudyKeyFile(path, generateKeyPair())).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
  });

  it('refuses to overwrite a study key file, leaving it as it was', () => {
    const path = join(dir, 'study.key');
    createStudyKeyFile(path, institution);
    const before = readFileSync(path, 'utf8');
    expect(() => createStudyKeyFile(path, institution)).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
    expect(readFileSync(path, 'utf8')).toBe(before);
  });

  it('a swapped public key or an altered sealed part fails authentication', () => {
    const path = join(dir, 'study.key');
    createStudyKeyFile(path, institution);
    const file = JSON.parse(readFileSync(path, 'utf8')) as { meta: { publicKey: string }; sealed: string };
    const other = join(dir, 'other.key');
    const otherKey = createStudyKeyFile(other, institution).publicKey;
    writeFileSync(path, JSON.stringify({ ...file, meta: { publicKey: otherKey } }));
    expect(() => readStudyKeyFile(path, institution)).toThrow(expect.objectContaining({ code: 'CIPHERTEXT_INVALID' }));
    const sealed = Buffer.from(file.sealed, 'base64');
    sealed[20] = (sealed[20] as number) ^ 1;
    writeFileSync(path, JSON.stringify({ ...file, sealed: sealed.toString('base64') }));
    expect(() => readStudyKeyFile(path, institution)).toThrow(expect.objectContaining({ code: 'CIPHERTEXT_INVALID' }));
    writeFileSync(path, JSON.stringify({ ...file, format: 'medshare-indicator-store' }));
    expect(() => readStudyKeyFile(path, institution)).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
  });

  it('the patient store keeps openings, readings and studies sealed (no keyword in the file), 0600', () => {
    const patient = generateKeyPair();
    const store = PatientStore.open(dir, patient);
    expect(store.openings).toEqual([]);
    const opening = {
      recordId: 'a'.repeat(64),
      keyword: 'I10',
      blinding: 'b'.repeat(64),
      commitment: `02${'c'.repeat(64)}`,
      doctorKeyId: 'd'.repeat(64),
    };
    store.addOpening(opening);
    store.record(100, { systolic: 128, diastolic: 82 });
    store.record(100, { heartRate: 66, systolic: 131 });
    store.setParticipation({
      studyId: 'e'.repeat(64),
      pseudonym: 'f'.repeat(32),
      recordId: opening.recordId,
      joinedAt: 1,
      submitted: [],
    });
    expect(statSync(store.path).mode & 0o777).toBe(0o600);
    const text = readFileSync(store.path, 'utf8');
    for (const secret of ['I10', 'systolic', 'bbbbbbbb', '128']) expect(text).not.toContain(secret);
    const again = PatientStore.open(dir, patient);
    expect(again.openings).toEqual([opening]);
    expect(again.readingsOf(100)).toEqual({ day: 100, values: { systolic: 131, diastolic: 82, heartRate: 66 } });
    expect(again.participation('e'.repeat(64))?.pseudonym).toBe('f'.repeat(32));
    expect(() => PatientStore.open(dir, generateKeyPair()).openings).not.toThrow(); // another patient's own, empty store
  });

  it('keeps readings with decimals (glucose 6.2 mmol/L at scale 10): the store is sealed data, not a signed statement', () => {
    const patient = generateKeyPair();
    PatientStore.open(dir, patient).record(100, { glucose: 6.2, weight: 81.45 });
    expect(PatientStore.open(dir, patient).readingsOf(100)).toEqual({
      day: 100,
      values: { glucose: 6.2, weight: 81.45 },
    });
    expect(readFileSync(join(dir, readdirSync(dir)[0] as string), 'utf8')).not.toContain('6.2');
  });

  it('a refused reading writes nothing', () => {
    const patient = generateKeyPair();
    const store = PatientStore.open(dir, patient);
    store.record(100, { systolic: 128 });
    const before = readFileSync(store.path, 'utf8');
    for (const bad of [{ systolic: -1 }, { systolic: Number.NaN }, { 'bad name': 1 }, { systolic: '1' }]) {
      expect(() => store.record(101, bad as unknown as Record<string, number>)).toThrow(
        expect.objectContaining({ code: 'INVALID_INPUT' }),
      );
    }
    expect(readFileSync(store.path, 'utf8')).toBe(before);
    expect(PatientStore.open(dir, patient).readings).toEqual([{ day: 100, values: { systolic: 128 } }]);
  });
});
