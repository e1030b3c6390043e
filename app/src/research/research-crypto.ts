// SPDX-License-Identifier: Apache-2.0
/**
 * The sealing of research values (docs/protocol.md §19): a patient's profile sealed for the
 * patient, a research extract sealed for one institution's study, and the ring of an anonymous
 * request. Each sealed value has a fresh 32-byte data key, wrapped (SM2, §4) to its reader's K1,
 * and an AAD that binds it to its place, so it cannot pass for another patient's profile or for
 * another study's (or another institution's) extract.
 */
import { fromBase64, fromHex, toBase64, toHex } from '@medshare/crypto/bytes';
import { ringKeyImage } from '@medshare/crypto/ring';
import { SEALED_OVERHEAD } from '@medshare/crypto/sealed-box';
import {
  EXTRACT_MAX_BYTES,
  PROFILE_MAX_BYTES,
  extractAad,
  fail,
  keyIdOf,
  openCiphertext,
  profileAad,
  ringScope,
  RING_MAX,
  RING_MIN,
  type RingAuthor,
} from '@medshare/protocol';
import { openFromKeyWrap, sealToKey } from '../records/record-crypto';

export { extractAad, profileAad };

function sealFor(
  plaintext: Uint8Array,
  readerPublicKey: string,
  aad: Uint8Array,
  max: number,
  what: string,
): { sealed: string; keyWrap: string } {
  if (plaintext.length + SEALED_OVERHEAD > max)
    throw fail(
      what === 'extract' ? 'EXTRACT_TOO_LARGE' : 'PAYLOAD_TOO_LARGE',
      `the ${what} is ${plaintext.length} bytes: at most ${max - SEALED_OVERHEAD} fit a sealed ${what}`,
    );
  const { sealed, keyWrap, dataKey } = sealToKey(plaintext, aad, readerPublicKey);
  dataKey.fill(0);
  return { sealed: toBase64(sealed), keyWrap };
}

function openFrom(sealed: string, keyWrap: string, privateKey: string, aad: Uint8Array, what: string): Uint8Array {
  const box = openCiphertext(`the ${what} is not base64`, () => fromBase64(sealed, what));
  return openFromKeyWrap(
    box,
    keyWrap,
    privateKey,
    aad,
    `the ${what} did not open: wrong key, or sealed for another place`,
  );
}

/** An extract (its JCS plaintext) sealed for `institution` in `studyId`: the warrant's and contribution's body members. */
export function sealExtract(
  plaintext: Uint8Array,
  studyId: string,
  institution: { readonly keyId: string; readonly publicKey: string },
): { extract: string; extractKeyWrap: string } {
  if (keyIdOf(institution.publicKey) !== institution.keyId)
    throw fail('INVALID_INPUT', "the institution's public key does not have its key id");
  const { sealed, keyWrap } = sealFor(
    plaintext,
    institution.publicKey,
    extractAad(studyId, institution.keyId),
    EXTRACT_MAX_BYTES,
    'extract',
  );
  return { extract: sealed, extractKeyWrap: keyWrap };
}

/** The institution opens one access-list entry of its study (CIPHERTEXT_INVALID if it was not sealed for it there). */
export function openExtract(
  entry: { readonly extract: string; readonly extractKeyWrap: string },
  studyId: string,
  institution: { readonly publicKey: string; readonly privateKey: string },
): Uint8Array {
  return openFrom(
    entry.extract,
    entry.extractKeyWrap,
    institution.privateKey,
    extractAad(studyId, keyIdOf(institution.publicKey)),
    'extract',
  );
}

export function sealProfile(
  profile: Uint8Array,
  patientPublicKey: string,
): { sealedProfile: string; profileKeyWrap: string } {
  const { sealed, keyWrap } = sealFor(
    profile,
    patientPublicKey,
    profileAad(keyIdOf(patientPublicKey)),
    PROFILE_MAX_BYTES,
    'profile',
  );
  return { sealedProfile: sealed, profileKeyWrap: keyWrap };
}

export function openProfile(
  stored: { readonly sealedProfile: string; readonly profileKeyWrap: string },
  patient: { readonly publicKey: string; readonly privateKey: string },
): Uint8Array {
  return openFrom(
    stored.sealedProfile,
    stored.profileKeyWrap,
    patient.privateKey,
    profileAad(keyIdOf(patient.publicKey)),
    'profile',
  );
}

/** A ring as a ring request names it, and as ringSign and ringVerify take it: the same order. */
export interface SigningRing {
  readonly author: RingAuthor;
  /** The members' public keys (65 bytes each), in `author.members` order. */
  readonly keys: Uint8Array[];
  /** The signer's position in `keys`. */
  readonly signer: number;
}

/**
 * The ring of an anonymous request in `studyId`, from the members the caller chose (their public
 * keys, the signer's own among them): sorted by key id (the order hides the signer's position),
 * with the signer's key image in the study's scope. Nothing is chosen here.
 */
export function signingRing(
  signer: { readonly publicKey: string; readonly privateKey: string },
  memberPublicKeys: readonly string[],
  studyId: string,
): SigningRing {
  if (memberPublicKeys.length < RING_MIN || memberPublicKeys.length > RING_MAX)
    throw fail('RING_SIZE_INVALID', `a ring has ${RING_MIN}…${RING_MAX} members, not ${memberPublicKeys.length}`);
  const members = memberPublicKeys.map((publicKey) => ({ keyId: keyIdOf(publicKey), publicKey }));
  members.sort((a, b) => (a.keyId < b.keyId ? -1 : a.keyId > b.keyId ? 1 : 0));
  for (let i = 1; i < members.length; i++) {
    if (members[i]?.keyId === members[i - 1]?.keyId)
      throw fail('RING_MEMBER_DUPLICATE', `the ring names key ${members[i]?.keyId} twice`);
  }
  const signerKeyId = keyIdOf(signer.publicKey);
  const position = members.findIndex((m) => m.keyId === signerKeyId);
  if (position < 0) throw fail('INVALID_INPUT', "the author's key is not among the ring's members");
  return {
    author: {
      members: members.map((m) => m.keyId),
      keyImage: toHex(ringKeyImage(signer.privateKey, ringScope(studyId))),
    },
    keys: members.map((m) => fromHex(m.publicKey, 'member public key')),
    signer: position,
  };
}
