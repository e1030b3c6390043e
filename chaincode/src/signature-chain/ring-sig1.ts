// SPDX-License-Identifier: Apache-2.0
import { fromHex, toHex } from '@medshare/crypto/bytes';
import { ringSignatureKeyImage, ringVerify } from '@medshare/crypto/ring';
import { fail, ringScope, signedBytes, type RingRequest } from '@medshare/protocol';
import { users } from '../contracts/registry/tables';
import type { LedgerState } from '../state/state';

/**
 * sig1 of a ring request (docs/protocol.md §7.5 step 6, §18): every member a registered, active
 * patient (RING_MEMBER_NOT_ELIGIBLE, naming the position), then the signature's key image equal
 * to `ring.keyImage` and the ring signature valid over the request's sig1 bytes in the scope of
 * the body's study (RING_SIGNATURE_INVALID). The ring's size, duplicates and order were checked
 * when the request was parsed. The verification is deterministic (public data only) and uses the
 * crypto's bounded cache of members' key tables, so a patient who is in many rings is cheap.
 */
export async function assertRingSig1(state: LedgerState, request: RingRequest, sig1: string): Promise<void> {
  const { members, keyImage } = request.ring;
  const ring: Uint8Array[] = [];
  for (const [i, keyId] of members.entries()) {
    const user = await users.get(state, { keyId });
    if (!user || user.role !== 'patient' || user.status !== 'active')
      throw fail('RING_MEMBER_NOT_ELIGIBLE', `request.ring.members[${i}] is not a registered, active patient`);
    ring.push(fromHex(user.publicKey));
  }
  const signature = fromHex(sig1, 'sig1');
  if (toHex(ringSignatureKeyImage(signature, ring.length)) !== keyImage)
    throw fail('RING_SIGNATURE_INVALID', "sig1's key image is not request.ring.keyImage");
  let valid: boolean;
  try {
    valid = ringVerify({
      message: signedBytes('sig1', request),
      scope: ringScope(request.body.studyId),
      ring,
      signature,
    });
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    throw fail('RING_SIGNATURE_INVALID', `sig1 is not a well-formed ring signature: ${error.message}`);
  }
  if (!valid)
    throw fail(
      'RING_SIGNATURE_INVALID',
      "sig1 does not verify as a ring signature of the ring's members in this study",
    );
}
