// SPDX-License-Identifier: Apache-2.0
/**
 * bLSAG: Liu, Wei and Wong's linkable spontaneous anonymous group signature (ACISP 2004) in
 * Back's compact form (one challenge c_0 and one response per member), over any prime-order
 * group given as a {@link BlsagGroup}. The SM2/SM3 instance is ring.ts (docs/protocol.md §18).
 *
 * Ring P_0 … P_{n−1}; the signer π knows x with P_π = x·G; H = Hp(scope); key image I = x·H:
 *
 *   L_i = s_i·G + c_i·P_i      R_i = s_i·H + c_i·I      c_{i+1} = H_c(L_i, R_i)   (i + 1 mod n)
 *
 * The signer starts at its own position with L_π = α·G and R_π = α·H, walks the other n − 1
 * positions with responses s_i, and closes the ring with s_π = α − c_π·x, which makes
 * s_π·G + c_π·P_π = α·G and s_π·H + c_π·I = α·H. The verifier recomputes c_1 … c_n from c_0
 * and accepts iff c_n = c_0. The group binds the ring, the scope, I and the message into H_c.
 */

/** (L_i, R_i) as the bytes that enter the challenge hash. */
export type Commitment = readonly [l: Uint8Array, r: Uint8Array];

/** One signature's group: ring, scope point and key image fixed. */
export interface BlsagGroup {
  readonly order: bigint;
  /** (s·G + c·P_i, s·H + c·I), encoded; undefined when either point is the identity. */
  commit(index: number, s: bigint, c: bigint): Commitment | undefined;
  /** c_{i+1} = H_c(…, L_i, R_i). */
  challenge(commitment: Commitment): bigint;
}

/** The signer's group: every multiplication constant time (the signer's position is secret). */
export interface BlsagSigningGroup extends BlsagGroup {
  /** (α·G, α·H), encoded. */
  commitNonce(alpha: bigint): Commitment;
}

export interface BlsagSignature {
  readonly c0: bigint;
  readonly s: readonly bigint[];
}

/**
 * Signs as position `signer` of a ring of `size` with `secret` x; `nonce()` yields α first, then
 * s_{π+1}, …, s_{π+n−1} (indices mod n), each in [1, order − 1]. The steps are the same for every
 * position: one commitment to α, then n − 1 decoy commitments in ring order after the signer.
 */
export function blsagSign(
  group: BlsagSigningGroup,
  size: number,
  signer: number,
  secret: bigint,
  nonce: () => bigint,
): BlsagSignature {
  const c = new Array<bigint>(size).fill(0n);
  const s = new Array<bigint>(size).fill(0n);
  const alpha = nonce();
  let next = group.challenge(group.commitNonce(alpha));
  for (let k = 1; k < size; k++) {
    const i = (signer + k) % size;
    const response = nonce();
    c[i] = next;
    s[i] = response;
    const commitment = group.commit(i, response, next);
    // Public values only; a commitment at infinity has probability about 2^-256.
    if (!commitment) throw new RangeError(`the commitment of ring position ${i} is the identity`);
    next = group.challenge(commitment);
  }
  c[signer] = next;
  s[signer] = (((alpha - next * secret) % group.order) + group.order) % group.order;
  return { c0: c[0] as bigint, s };
}

/** Recomputes the challenges from c_0 over every position; true iff the ring closes (c_n = c_0). */
export function blsagVerify(group: BlsagGroup, signature: BlsagSignature): boolean {
  let c = signature.c0;
  for (const [i, s] of signature.s.entries()) {
    const commitment = group.commit(i, s, c);
    if (!commitment) return false;
    c = group.challenge(commitment);
  }
  return c === signature.c0;
}
