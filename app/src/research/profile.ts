// SPDX-License-Identifier: Apache-2.0
/**
 * The patient's profile (docs/protocol.md §19.4): its plaintext, checked, as `sealProfile`
 * (research-crypto.ts) seals it for the patient alone and `openProfile` opens it.
 */
import { utf8 } from '@medshare/crypto/bytes';
import {
  PROFILE_MAX_BYTES,
  canonicalizeData,
  parseJsonText,
  parseProfileContent,
  type ProfileContent,
} from '@medshare/protocol';

/** Checks a profile and returns its plaintext (RFC 8785 JSON, §19.4). INVALID_INPUT naming what is wrong. */
export function encodeProfile(profile: ProfileContent): Uint8Array {
  return utf8(canonicalizeData(parseProfileContent(profile)));
}

/** A profile from its opened plaintext, checked. */
export function decodeProfile(plaintext: Uint8Array): ProfileContent {
  return parseProfileContent(parseJsonText(Buffer.from(plaintext).toString('utf8'), 'profile', PROFILE_MAX_BYTES));
}
