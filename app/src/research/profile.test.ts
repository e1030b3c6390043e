// SPDX-License-Identifier: Apache-2.0
import { fromBase64, toBase64 } from '@medshare/crypto/bytes';
import { generateKeyPair } from '@medshare/crypto/sm2';
import type { ProfileContent } from '@medshare/protocol';
import { decodeProfile, encodeProfile } from './profile';
import { openProfile, sealProfile } from './research-crypto';

describe('sealed profiles', () => {
  const patient = generateKeyPair();
  const other = generateKeyPair();
  const profile: ProfileContent = { v: 1, name: 'Li Lei', sex: 'female', birthDate: '1989-11-30', phone: '+86 138' };
  const seal = (p: ProfileContent, publicKey: string): ReturnType<typeof sealProfile> =>
    sealProfile(encodeProfile(p), publicKey);

  it('opens for its patient only, with nothing of it readable in the sealed box', () => {
    const sealed = seal(profile, patient.publicKey);
    expect(Buffer.from(fromBase64(sealed.sealedProfile)).toString('latin1')).not.toContain('Li Lei');
    expect(decodeProfile(openProfile(sealed, patient))).toEqual(profile);
    expect(() => openProfile(sealed, other)).toThrow(expect.objectContaining({ code: 'CIPHERTEXT_INVALID' }));
  });

  it("refuses another patient's profile presented with this patient's key wrap (the AAD names the key id)", () => {
    const theirs = seal(profile, other.publicKey);
    const mine = seal(profile, patient.publicKey);
    expect(() =>
      openProfile({ sealedProfile: theirs.sealedProfile, profileKeyWrap: mine.profileKeyWrap }, patient),
    ).toThrow(expect.objectContaining({ code: 'CIPHERTEXT_INVALID' }));
    const box = fromBase64(mine.sealedProfile);
    box[box.length - 1] = (box[box.length - 1] as number) ^ 1;
    expect(() => openProfile({ ...mine, sealedProfile: toBase64(box) }, patient)).toThrow(
      expect.objectContaining({ code: 'CIPHERTEXT_INVALID' }),
    );
  });

  it.each([
    [{ v: 1, nickname: 'x' }, /profile\.nickname is not an allowed field/],
    [{ v: 2 }, /profile\.v must be 1/],
    [{ v: 1, sex: 'F' }, /profile\.sex must be one of/],
    [{ v: 1, birthDate: '30/11/1989' }, /profile\.birthDate has the wrong format/],
    [{ v: 1, age: 300 }, /profile\.age must be in \[0, 200\]/],
    [{ v: 1, name: 'x'.repeat(201) }, /profile\.name must have at most 200/],
  ])('refuses the profile %j before sealing it', (bad, message) => {
    expect(() => encodeProfile(bad as unknown as ProfileContent)).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT', message: expect.stringMatching(message) }),
    );
  });
});
