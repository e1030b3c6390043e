// SPDX-License-Identifier: Apache-2.0
import { utf8 } from '@medshare/crypto/bytes';
import { generateKeyPair } from '@medshare/crypto/sm2';
import { openRecord, sealRecord, unwrapDataKey, wrapDataKey } from './record-crypto';

const PATIENT_A = 'a'.repeat(64);
const PATIENT_B = 'b'.repeat(64);

describe('record sealing (app side)', () => {
  const owner = generateKeyPair();
  const doctor = generateKeyPair();
  const content = utf8('{"diagnosis":"J45.909"}');

  it('seals under a fresh data key wrapped for the owner, and re-wraps it for a grantee', () => {
    const sealed = sealRecord(content, owner.publicKey, PATIENT_A);
    const key = unwrapDataKey(sealed.ownerKeyWrap, owner.privateKey);
    expect(Buffer.from(openRecord(sealed.ciphertext, sealed.contentHash, key, PATIENT_A)).toString()).toContain('J45');
    const forDoctor = unwrapDataKey(wrapDataKey(key, doctor.publicKey), doctor.privateKey);
    expect(Buffer.from(openRecord(sealed.ciphertext, sealed.contentHash, forDoctor, PATIENT_A))).toEqual(
      Buffer.from(content),
    );
    expect(sealRecord(content, owner.publicKey, PATIENT_A).ciphertext).not.toBe(sealed.ciphertext);
  });

  it('refuses, with CIPHERTEXT_INVALID, a record presented as another patient’s, a wrong key, or a hash mismatch', () => {
    const sealed = sealRecord(content, owner.publicKey, PATIENT_A);
    const key = unwrapDataKey(sealed.ownerKeyWrap, owner.privateKey);
    expect(() => openRecord(sealed.ciphertext, sealed.contentHash, key, PATIENT_B)).toThrow(
      expect.objectContaining({ code: 'CIPHERTEXT_INVALID', message: expect.stringMatching(/another patient/) }),
    );
    expect(() => openRecord(sealed.ciphertext, sealed.contentHash, new Uint8Array(32), PATIENT_A)).toThrow(
      expect.objectContaining({ code: 'CIPHERTEXT_INVALID' }),
    );
    expect(() => openRecord(sealed.ciphertext, 'f'.repeat(64), key, PATIENT_A)).toThrow(
      expect.objectContaining({ code: 'CIPHERTEXT_INVALID', message: expect.stringMatching(/content hash/) }),
    );
    expect(() => openRecord('%%%', sealed.contentHash, key, PATIENT_A)).toThrow(
      expect.objectContaining({ code: 'CIPHERTEXT_INVALID' }),
    );
  });
});
