// SPDX-License-Identifier: Apache-2.0
/**
 * The anonymous author of a request (docs/protocol.md §6, §7.5, §18): `ring` instead of `keyId`.
 * sig1 is then a linkable ring signature over the request's signed bytes by one of the ring's
 * members, in the scope of the study the body names. Only the research contributions take one.
 */
import { utf8 } from '@medshare/crypto/bytes';
import { ringSignatureLength } from '@medshare/crypto/ring';
import { fail } from '../errors/medshare-error';
import { RING_SCOPE_LABEL } from '../labels';
import { expectObject, expectString, HEX64, HEX_SIGNATURE } from '../validation/assert';
import type { Actor } from './actor';

/** Ring sizes the protocol accepts (members of one ring), and the size the apps choose by default. */
export const RING_MIN = 4;
export const RING_MAX = 64;
export const RING_DEFAULT = 16;

/** A key image: a compressed point (§18), `02`/`03` ‖ x, 66 hex. */
export const KEY_IMAGE = /^0[23][0-9a-f]{64}$/;

/** The operations signed by a ring (and only by a ring): a study's anonymous contributions. */
export const RING_OPERATIONS = ['contribute', 'contribution-withdraw', 'contribution-replace'] as const;
export type RingOperation = (typeof RING_OPERATIONS)[number];

export function isRingOperation(op: string): op is RingOperation {
  return (RING_OPERATIONS as readonly string[]).includes(op);
}

/** `request.ring`: the members' key ids, strictly ascending, and the signature's key image. */
export interface RingAuthor {
  /** Key ids (hex64) of registered, active patients, strictly ascending: the order hides the signer's position. */
  readonly members: readonly string[];
  /** The link tag in the study's scope: equal for every request of one member in one study. */
  readonly keyImage: string;
}

/**
 * Parses `request.ring`, structural checks only (no cryptography), in the order of §7.5: the
 * ring's size (RING_SIZE_INVALID), each member's format (INVALID_INPUT), a key twice
 * (RING_MEMBER_DUPLICATE), strict ascending order (INVALID_INPUT), the key image's format.
 */
export function parseRingAuthor(value: unknown, name: string): RingAuthor {
  const o = expectObject(value, name, ['members', 'keyImage']);
  const members: unknown = o.members;
  if (!Array.isArray(members)) throw fail('INVALID_INPUT', `${name}.members must be an array of key ids`);
  if (members.length < RING_MIN || members.length > RING_MAX)
    throw fail('RING_SIZE_INVALID', `${name}.members has ${members.length} keys: a ring has ${RING_MIN}…${RING_MAX}`);
  const keyIds = members.map((m: unknown, i) => expectString(m, `${name}.members[${i}]`, { pattern: HEX64 }));
  const first = new Map<string, number>();
  for (const [i, keyId] of keyIds.entries()) {
    const earlier = first.get(keyId);
    if (earlier !== undefined)
      throw fail('RING_MEMBER_DUPLICATE', `${name}.members[${i}] repeats ${name}.members[${earlier}]`);
    first.set(keyId, i);
  }
  for (let i = 1; i < keyIds.length; i++) {
    if ((keyIds[i - 1] as string) > (keyIds[i] as string))
      throw fail('INVALID_INPUT', `${name}.members must be in ascending order: [${i}] comes before [${i - 1}]`);
  }
  return { members: keyIds, keyImage: expectString(o.keyImage, `${name}.keyImage`, { pattern: KEY_IMAGE }) };
}

/**
 * sig1's format: 128 hex (an SM2 signature) for a key request; for a ring request the hex of a
 * ring signature (§18: key image ‖ c₀ ‖ s₀ … s_{n−1}) of exactly the ring's size (its bytes are checked by the contract, §7.5).
 */
export function expectSig1(value: unknown, request: object, name: string): string {
  if (!('ring' in request)) return expectString(value, name, { pattern: HEX_SIGNATURE });
  const size = (request.ring as RingAuthor).members.length;
  const length = 2 * ringSignatureLength(size);
  const sig1 = expectString(value, name, { pattern: /^[0-9a-f]*$/, maxLength: length });
  if (sig1.length !== length)
    throw fail('INVALID_INPUT', `${name} must be ${length} hex characters for a ring of ${size}`);
  return sig1;
}

/** The scope of a ring signature in a study: utf8(RING_SCOPE_LABEL ‖ studyId), derived, never sent. */
export function ringScope(studyId: string): Uint8Array {
  return utf8(`${RING_SCOPE_LABEL}${studyId}`);
}

/**
 * Who a request says its author is, before any signature is checked: its key, or its ring's link
 * tag in the study's scope. The access layer's replay cache and the ledger's nonces are keyed by it.
 */
export function claimedActor(request: { readonly body: unknown } & ({ keyId: string } | { ring: RingAuthor })): Actor {
  if (!('ring' in request)) return { kind: 'key', keyId: request.keyId };
  const { studyId } = request.body as { studyId: string };
  return { kind: 'ring', keyImage: request.ring.keyImage, scope: studyId };
}
