// SPDX-License-Identifier: Apache-2.0
import { utf8 } from '@medshare/crypto/bytes';
import { ringSign, ringVerify } from '@medshare/crypto/ring';
import { generateKeyPair } from '@medshare/crypto/sm2';
import { keyIdOf, ringScope } from '@medshare/protocol';
import { openExtract, openProfile, sealExtract, sealProfile, signingRing } from './research-crypto';

const institution = generateKeyPair();
const other = generateKeyPair();
const studyId = 'a'.repeat(64);
const id = (k: { publicKey: string }): { keyId: string; publicKey: string } => ({
  keyId: keyIdOf(k.publicKey),
  publicKey: k.publicKey,
});

describe('research sealing', () => {
  it('an extract opens for its institution in its study only', () => {
    const plaintext = utf8('{"v":1}');
    const sealed = sealExtract(plaintext, studyId, id(institution));
    expect(openExtract(sealed, studyId, institution)).toEqual(plaintext);
    expect(() => openExtract(sealed, 'b'.repeat(64), institution)).toThrow(
      expect.objectContaining({ code: 'CIPHERTEXT_INVALID' }),
    );
    expect(() => openExtract(sealed, studyId, other)).toThrow(expect.objectContaining({ code: 'CIPHERTEXT_INVALID' }));
    expect(() => sealExtract(new Uint8Array(8192), studyId, id(institution))).toThrow(
      expect.objectContaining({ code: 'EXTRACT_TOO_LARGE' }),
    );
    expect(() =>
      sealExtract(plaintext, studyId, { keyId: keyIdOf(other.publicKey), publicKey: institution.publicKey }),
    ).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
  });

  it("a profile opens for its patient only (the AAD names the patient's key id)", () => {
    const patient = generateKeyPair();
    const sealed = sealProfile(utf8('{"sex":"female"}'), patient.publicKey);
    expect(Buffer.from(openProfile(sealed, patient)).toString()).toBe('{"sex":"female"}');
    expect(() => openProfile(sealed, other)).toThrow(expect.objectContaining({ code: 'CIPHERTEXT_INVALID' }));
  });
});

describe('signingRing', () => {
  const members = Array.from({ length: 5 }, () => generateKeyPair());
  it('sorts the caller’s members by key id, finds the signer, and its signature verifies in the study', () => {
    const signer = members[3] as (typeof members)[number];
    const ring = signingRing(
      signer,
      members.map((m) => m.publicKey),
      studyId,
    );
    expect([...ring.author.members]).toEqual(members.map((m) => keyIdOf(m.publicKey)).sort());
    expect(ring.author.members[ring.signer]).toBe(keyIdOf(signer.publicKey));
    const message = utf8('m');
    const signature = ringSign({
      message,
      scope: ringScope(studyId),
      ring: ring.keys,
      signer: ring.signer,
      privateKey: signer.privateKey,
    });
    expect(ringVerify({ message, scope: ringScope(studyId), ring: ring.keys, signature })).toBe(true);
    expect(Buffer.from(signature.subarray(0, 33)).toString('hex')).toBe(ring.author.keyImage);
    expect(ring.keys.map((k) => Buffer.from(k).toString('hex'))).toEqual(
      [...ring.author.members].map((keyId) => members.find((m) => keyIdOf(m.publicKey) === keyId)?.publicKey),
    );
  });

  it('refuses a ring without the author, with a key twice, or of the wrong size', () => {
    const keys = members.map((m) => m.publicKey);
    expect(() => signingRing(other, keys, studyId)).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
    expect(() =>
      signingRing(members[0] as (typeof members)[number], [...keys.slice(0, 4), keys[0] as string], studyId),
    ).toThrow(expect.objectContaining({ code: 'RING_MEMBER_DUPLICATE' }));
    expect(() => signingRing(members[0] as (typeof members)[number], keys.slice(0, 3), studyId)).toThrow(
      expect.objectContaining({ code: 'RING_SIZE_INVALID' }),
    );
  });
});
