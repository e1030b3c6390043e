// SPDX-License-Identifier: Apache-2.0
/**
 * The patient's sealed profile (docs/protocol.md §19.2): the registry keeps only a sealed box
 * (AAD PROFILE_LABEL ‖ the patient's key id) and its data key wrapped to the patient's own K1, so
 * only the patient can read it.
 */
import { fromBase64, toBase64, utf8 } from '@medshare/crypto/bytes';
import {
  PROFILE_MAX_BYTES,
  canonicalizeData,
  fail,
  keyIdOf,
  openCiphertext,
  parseJsonText,
  parseProfileContent,
  profileAad,
  type ProfileContent,
  type SigningKey,
} from '@medshare/protocol';
import { openFromKeyWrap, sealToKey } from '../records/record-crypto';

/** A sealed profile as profile-update carries it and profile-get returns it. */
export interface SealedProfile {
  readonly sealedProfile: string;
  readonly profileKeyWrap: string;
}

/** Checks and seals a profile for its patient. PAYLOAD_TOO_LARGE past PROFILE_MAX_BYTES sealed. */
export function sealProfile(profile: ProfileContent, patientPublicKey: string): SealedProfile {
  const checked = parseProfileContent(profile);
  const aad = profileAad(keyIdOf(patientPublicKey));
  const { sealed, keyWrap, dataKey } = sealToKey(utf8(canonicalizeData(checked)), aad, patientPublicKey);
  dataKey.fill(0);
  if (sealed.length > PROFILE_MAX_BYTES)
    throw fail('PAYLOAD_TOO_LARGE', `the sealed profile is ${sealed.length} bytes; at most ${PROFILE_MAX_BYTES}`);
  return { sealedProfile: toBase64(sealed), profileKeyWrap: keyWrap };
}

/** Opens the patient's own profile: CIPHERTEXT_INVALID when it is another patient's or altered. */
export function openProfile(sealed: SealedProfile, patient: SigningKey): ProfileContent {
  const box = openCiphertext('the profile is not base64', () => fromBase64(sealed.sealedProfile, 'sealedProfile'));
  const plaintext = openFromKeyWrap(
    box,
    sealed.profileKeyWrap,
    patient.privateKey,
    profileAad(keyIdOf(patient.publicKey)),
    "the profile does not open: another patient's, or altered",
  );
  return parseProfileContent(parseJsonText(Buffer.from(plaintext).toString('utf8'), 'profile', PROFILE_MAX_BYTES));
}
