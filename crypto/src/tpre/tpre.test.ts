// SPDX-License-Identifier: Apache-2.0
import { Point } from '../sm2/curve';
import {
  CAPSULE_BYTES,
  CAPSULE_FRAGMENT_BYTES,
  KEY_FRAGMENT_BYTES,
  U,
  decapsulate,
  decapsulateFragments,
  decodeCapsule,
  decodeCapsuleFragment,
  decodeKeyFragment,
  encapsulate,
  encodeCapsule,
  encodeCapsuleFragment,
  encodeKeyFragment,
  generateKeyFragments,
  generateKeyPair,
  reEncrypt,
  verifyCapsuleFragment,
  verifyKeyFragment,
  type CapsuleFragment,
  type KeyFragment,
} from './tpre';

const context = new TextEncoder().encode('grant 1');
const delegating = generateKeyPair();
const receiver = generateKeyPair();
const { capsule, key } = encapsulate(delegating.publicKey);
const kfrags = generateKeyFragments(delegating, receiver.publicKey, 2, 3);
const cfrags = kfrags.map((k) => reEncrypt(k, capsule, context));

function flipped(bytes: Uint8Array, index: number): Uint8Array {
  const copy = bytes.slice();
  copy[index] = (copy[index] ?? 0) ^ 0x01;
  return copy;
}

/** A decode that throws or a verifier that says no: the tampered bytes are never accepted. */
function cfragAccepted(bytes: Uint8Array, ctx = context): boolean {
  let fragment: CapsuleFragment;
  try {
    fragment = decodeCapsuleFragment(bytes);
  } catch (error) {
    expect(error).toBeInstanceOf(RangeError);
    return false;
  }
  return verifyCapsuleFragment(fragment, capsule, delegating.publicKey, receiver.publicKey, ctx);
}

describe('threshold proxy re-encryption on SM2', () => {
  it('has the sizes docs/protocol.md §15 gives and a second generator unrelated to G', () => {
    expect(encodeCapsule(capsule)).toHaveLength(CAPSULE_BYTES);
    expect(CAPSULE_BYTES).toBe(98);
    expect(encodeKeyFragment(kfrags[0]!)).toHaveLength(KEY_FRAGMENT_BYTES);
    expect(encodeCapsuleFragment(cfrags[0]!)).toHaveLength(CAPSULE_FRAGMENT_BYTES);
    expect(CAPSULE_FRAGMENT_BYTES).toBe(359);
    expect(U.equals(Point.BASE)).toBe(false);
    U.assertValidity();
  });

  it('lets the delegating key open its capsule, and any 2 of 3 fragments open it for the receiver', () => {
    expect(decapsulate(delegating.secret, capsule)).toEqual(key);
    for (const pair of [
      [0, 1],
      [1, 2],
      [2, 0],
    ] as const) {
      const chosen = pair.map((i) => cfrags[i]!);
      expect(decapsulateFragments(receiver, delegating.publicKey, capsule, chosen, 2, context)).toEqual(key);
    }
    expect(decapsulateFragments(receiver, delegating.publicKey, capsule, cfrags, 2, context)).toEqual(key);
  });

  it('works for other thresholds (1-of-1, 3-of-5) and survives encoding', () => {
    const one = generateKeyFragments(delegating, receiver.publicKey, 1, 1);
    const c1 = one.map((k) =>
      decodeCapsuleFragment(
        encodeCapsuleFragment(reEncrypt(decodeKeyFragment(encodeKeyFragment(k)), capsule, context)),
      ),
    );
    expect(
      decapsulateFragments(receiver, delegating.publicKey, decodeCapsule(encodeCapsule(capsule)), c1, 1, context),
    ).toEqual(key);
    const five = generateKeyFragments(delegating, receiver.publicKey, 3, 5).map((k) => reEncrypt(k, capsule, context));
    expect(
      decapsulateFragments(receiver, delegating.publicKey, capsule, [five[4]!, five[1]!, five[2]!], 3, context),
    ).toEqual(key);
  });

  it('refuses fewer fragments than the threshold, and t−1 fragments forced through give another key', () => {
    expect(() => decapsulateFragments(receiver, delegating.publicKey, capsule, [cfrags[0]!], 2, context)).toThrow(
      /below the threshold 2/,
    );
    // Claiming t = 1 with one fragment of a 2-of-3 delegation: the Lagrange sum is not f(0).
    expect(decapsulateFragments(receiver, delegating.publicKey, capsule, [cfrags[0]!], 1, context)).not.toEqual(key);
  });

  it('refuses a receiver the fragments were not made for', () => {
    const other = generateKeyPair();
    expect(() => decapsulateFragments(other, delegating.publicKey, capsule, cfrags, 2, context)).toThrow(
      /failed verification/,
    );
    for (const k of kfrags) expect(verifyKeyFragment(k, delegating.publicKey, other.publicKey)).toBe(false);
  });

  it('refuses a set mixing two delegations, and a repeated fragment', () => {
    const second = generateKeyFragments(delegating, receiver.publicKey, 2, 3).map((k) =>
      reEncrypt(k, capsule, context),
    );
    expect(() =>
      decapsulateFragments(receiver, delegating.publicKey, capsule, [cfrags[0]!, second[1]!], 2, context),
    ).toThrow(/another delegation/);
    expect(() =>
      decapsulateFragments(receiver, delegating.publicKey, capsule, [cfrags[0]!, cfrags[0]!], 2, context),
    ).toThrow(/repeats/);
  });

  it('binds each fragment to its context and its capsule', () => {
    const elsewhere = new TextEncoder().encode('grant 2');
    expect(
      cfrags.every((c) => verifyCapsuleFragment(c, capsule, delegating.publicKey, receiver.publicKey, context)),
    ).toBe(true);
    expect(
      cfrags.some((c) => verifyCapsuleFragment(c, capsule, delegating.publicKey, receiver.publicKey, elsewhere)),
    ).toBe(false);
    const another = encapsulate(delegating.publicKey).capsule;
    expect(
      cfrags.some((c) => verifyCapsuleFragment(c, another, delegating.publicKey, receiver.publicKey, context)),
    ).toBe(false);
  });

  it('lets a proxy detect a key fragment that is not the delegator’s (forged rk, forged signature)', () => {
    const real = kfrags[0]!;
    expect(verifyKeyFragment(real, delegating.publicKey, receiver.publicKey)).toBe(true);
    const forgedRk: KeyFragment = {
      ...real,
      rk: (real.rk + 1n) % 0xfffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54123n,
    };
    expect(verifyKeyFragment(forgedRk, delegating.publicKey, receiver.publicKey)).toBe(false);
    const impostor = generateKeyPair();
    const byImpostor = generateKeyFragments(impostor, receiver.publicKey, 2, 3)[0]!;
    expect(verifyKeyFragment(byImpostor, delegating.publicKey, receiver.publicKey)).toBe(false);
  });

  it('rejects a proxy that re-encrypts with another rk under the signed commitment (soundness)', () => {
    const real = kfrags[1]!;
    const cheat: KeyFragment = {
      ...real,
      rk: (real.rk * 2n) % 0xfffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54123n,
    };
    const bad = reEncrypt(cheat, capsule, context);
    expect(verifyCapsuleFragment(bad, capsule, delegating.publicKey, receiver.publicKey, context)).toBe(false);
    expect(() => decapsulateFragments(receiver, delegating.publicKey, capsule, [cfrags[0]!, bad], 2, context)).toThrow(
      /fragment 1 failed verification/,
    );
  });

  it('never accepts a capsule fragment with any byte changed', () => {
    const bytes = encodeCapsuleFragment(cfrags[2]!);
    expect(cfragAccepted(bytes)).toBe(true);
    for (let i = 0; i < bytes.length; i++) expect(cfragAccepted(flipped(bytes, i))).toBe(false);
  });

  it('never accepts a capsule with any byte changed', () => {
    const bytes = encodeCapsule(capsule);
    for (let i = 0; i < bytes.length; i++) {
      expect(() => decodeCapsule(flipped(bytes, i))).toThrow(RangeError);
    }
  });

  it('never lets a proxy use a key fragment with any byte changed', () => {
    const bytes = encodeKeyFragment(kfrags[0]!);
    for (let i = 0; i < bytes.length; i++) {
      let ok: boolean;
      try {
        ok = verifyKeyFragment(decodeKeyFragment(flipped(bytes, i)), delegating.publicKey, receiver.publicKey);
      } catch (error) {
        expect(error).toBeInstanceOf(RangeError);
        ok = false;
      }
      expect(ok).toBe(false);
    }
  });

  it('refuses malformed sizes and thresholds with RangeError', () => {
    expect(() => generateKeyFragments(delegating, receiver.publicKey, 3, 2)).toThrow(RangeError);
    expect(() => generateKeyFragments(delegating, receiver.publicKey, 0, 2)).toThrow(RangeError);
    expect(() => generateKeyFragments(delegating, receiver.publicKey, 2, 256)).toThrow(RangeError);
    expect(() => decodeCapsule(new Uint8Array(97))).toThrow(RangeError);
    expect(() => decodeCapsuleFragment(new Uint8Array(360))).toThrow(RangeError);
    expect(() => decodeKeyFragment(new Uint8Array(193))).toThrow(RangeError);
  });
});
