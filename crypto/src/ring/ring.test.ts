// SPDX-License-Identifier: Apache-2.0
import nodeCrypto from 'node:crypto';
import { fromHex, toHex, utf8 } from '../bytes';
import { Point, SM2_N, SM2_P, scalarToBytes } from '../sm2/curve';
import { generateKeyPair, type Sm2KeyPair } from '../sm2/keys';
import { clearPointCache } from '../sm2/point-cache';
import { buildQueuedTables, verifyKeyStats } from '../sm2/verify-keys';
import { blsagSign, type BlsagSigningGroup } from './blsag';
import {
  RING_MAX_SIZE,
  ringKeyImage,
  ringSign,
  ringSignatureKeyImage,
  ringSignatureLength,
  ringVerify,
  type RingVerifyArgs,
} from './index';
import { buildQueuedScopeTables, clearScopePoints, ringScopePoint } from './ring';

// sm-crypto's point arithmetic (jsbn), unrelated to noble's, for the key image cross-check.
/* eslint-disable @typescript-eslint/no-require-imports */
const smCurve = (require('sm-crypto/src/sm2/utils') as { getGlobalCurve(): SmCurve }).getGlobalCurve();
const { BigInteger } = require('jsbn') as { BigInteger: new (hex: string, radix: number) => unknown };
/* eslint-enable @typescript-eslint/no-require-imports */
interface SmPoint {
  multiply(k: unknown): SmPoint;
  getX(): { toBigInteger(): { toString(radix: number): string } };
}
interface SmCurve {
  decodePointHex(hex: string): SmPoint;
}

const keys: Sm2KeyPair[] = Array.from({ length: 17 }, generateKeyPair);
const member = (i: number): Uint8Array => fromHex(keys[i]!.publicKey);
const ring4 = [0, 1, 2, 3].map(member);
const ring16 = Array.from({ length: 16 }, (_, i) => member(i));
const scope = utf8('medshare/v1/study/test');
const message = utf8('contribution');

function signAt(ring: readonly Uint8Array[], signer: number, keyIndex: number, msg = message, sc = scope): Uint8Array {
  return ringSign({ message: msg, scope: sc, ring, signer, privateKey: keys[keyIndex]!.privateKey });
}

/** The verifier's answer, with a refusal (which must be a RangeError) counted as "not accepted". */
function accepted(args: RingVerifyArgs): boolean {
  try {
    return ringVerify(args);
  } catch (error) {
    expect(error).toBeInstanceOf(RangeError);
    return false;
  }
}

function flipped(bytes: Uint8Array, index: number, mask = 0x01): Uint8Array {
  const copy = bytes.slice();
  copy[index] = (copy[index] ?? 0) ^ mask;
  return copy;
}

const sig4 = signAt(ring4, 1, 1);
const base: RingVerifyArgs = { message, scope, ring: ring4, signature: sig4 };

describe('linkable ring signatures on SM2 (docs/protocol.md §18)', () => {
  it('has the sizes §18 gives and refuses ring sizes outside [1, 1024]', () => {
    expect(ringSignatureLength(1)).toBe(97);
    expect(ringSignatureLength(4)).toBe(193);
    expect(ringSignatureLength(16)).toBe(577);
    expect(ringSignatureLength(64)).toBe(2113);
    expect(sig4).toHaveLength(193);
    for (const bad of [0, -1, 1.5, RING_MAX_SIZE + 1, Number.NaN])
      expect(() => ringSignatureLength(bad)).toThrow(RangeError);
    expect(ringSignatureKeyImage(sig4, 4)).toEqual(sig4.subarray(0, 33));
    expect(() => ringSignatureKeyImage(sig4, 5)).toThrow(RangeError);
    expect(() => ringSignatureKeyImage(sig4.subarray(0, 192), 4)).toThrow(RangeError);
  });

  it.each([1, 2, 4, 16])('round-trips at every position of a ring of %d', (size) => {
    const ring = ring16.slice(0, size);
    for (let signer = 0; signer < size; signer++) {
      const signature = signAt(ring, signer, signer);
      expect(signature).toHaveLength(ringSignatureLength(size));
      expect(ringVerify({ message, scope, ring, signature })).toBe(true);
      expect(ringSignatureKeyImage(signature, size)).toEqual(ringKeyImage(keys[signer]!.privateKey, scope));
    }
  });

  it('gives a scope its own table on its fourth verification, with the same verdicts before and after', () => {
    clearScopePoints();
    const sc = utf8('medshare/v1/study/scope-table');
    const signature = signAt(ring4, 2, 2, message, sc);
    const tampered = Uint8Array.from(signature);
    tampered[40] = tampered[40]! ^ 1;
    const verdicts = (): boolean[] => [
      ringVerify({ message, scope: sc, ring: ring4, signature }),
      ringVerify({ message, scope: sc, ring: ring4, signature: tampered }),
      ringVerify({ message: utf8('other'), scope: sc, ring: ring4, signature }),
    ];
    expect(verdicts()).toEqual([true, false, false]);
    expect(buildQueuedScopeTables()).toBe(0); // three uses
    expect(ringVerify({ message, scope: sc, ring: ring4, signature })).toBe(true);
    expect(buildQueuedScopeTables()).toBe(1);
    expect(buildQueuedScopeTables()).toBe(0);
    for (let i = 0; i < 3; i++) expect(verdicts()).toEqual([true, false, false]);
    expect(buildQueuedScopeTables()).toBe(0);
    clearScopePoints();
    expect(verdicts()).toEqual([true, false, false]);
  });

  it('is deterministic: the same inputs give the same bytes, another message other responses and the same I', () => {
    expect(signAt(ring4, 1, 1)).toEqual(sig4);
    const other = signAt(ring4, 1, 1, utf8('contribution 2'));
    expect(other.subarray(33)).not.toEqual(sig4.subarray(33));
    expect(other.subarray(0, 33)).toEqual(sig4.subarray(0, 33));
  });

  describe('tampering with any field is never accepted', () => {
    it('every bit of every byte of the signature (key image, c0, each s_i)', () => {
      for (let i = 0; i < sig4.length; i++)
        for (const mask of [0x01, 0x80]) expect(accepted({ ...base, signature: flipped(sig4, i, mask) })).toBe(false);
    });

    it('the message and the scope', () => {
      expect(accepted({ ...base, message: utf8('contribution.') })).toBe(false);
      expect(accepted({ ...base, message: new Uint8Array(0) })).toBe(false);
      expect(accepted({ ...base, scope: utf8('medshare/v1/study/other') })).toBe(false);
      expect(accepted({ ...base, scope: flipped(scope, scope.length - 1) })).toBe(false);
    });

    it('each ring member, the signer included', () => {
      for (let i = 0; i < 4; i++) {
        const ring = ring4.map((m, j) => (j === i ? member(9) : m));
        expect(accepted({ ...base, ring })).toBe(false);
      }
    });

    it('the ring order: every other permutation', () => {
      const permutations = (xs: number[]): number[][] =>
        xs.length <= 1 ? [xs] : xs.flatMap((x, i) => permutations(xs.filter((_, j) => j !== i)).map((p) => [x, ...p]));
      const others = permutations([0, 1, 2, 3]).filter((p) => p.join() !== '0,1,2,3');
      expect(others).toHaveLength(23);
      for (const order of others) expect(accepted({ ...base, ring: order.map((i) => ring4[i]!) })).toBe(false);
    });

    it('the ring size: a member more or fewer is refused, and dropping a member with its response fails', () => {
      expect(() => ringVerify({ ...base, ring: [...ring4, member(9)] })).toThrow(RangeError);
      expect(() => ringVerify({ ...base, ring: ring4.slice(0, 3) })).toThrow(RangeError);
      expect(ringVerify({ ...base, ring: ring4.slice(0, 3), signature: sig4.subarray(0, sig4.length - 32) })).toBe(
        false,
      );
      const withoutSigner = { ...base, ring: [ring4[0]!, ...ring4.slice(2)], signature: sig4.slice() };
      withoutSigner.signature = Uint8Array.from([
        ...sig4.subarray(0, 65),
        ...sig4.subarray(65, 97),
        ...sig4.subarray(129),
      ]);
      expect(ringVerify(withoutSigner)).toBe(false);
    });
  });

  describe('linkability per scope', () => {
    it('one key in one scope has one key image, whatever the message, ring or position', () => {
      const image = ringKeyImage(keys[2]!.privateKey, scope);
      const ringB = [member(10), member(2), member(11), member(12), member(13)];
      const signatures = [
        signAt(ring4, 2, 2),
        signAt(ring4, 2, 2, utf8('withdraw')),
        signAt(ringB, 1, 2, utf8('replace')),
        signAt(ring16, 2, 2),
      ];
      for (const s of signatures) expect(s.subarray(0, 33)).toEqual(image);
      expect(ringVerify({ message: utf8('replace'), scope, ring: ringB, signature: signatures[2]! })).toBe(true);
    });

    it('across scopes the images differ, differ between keys, and are not the public key', () => {
      const scopes = ['a', 'b', 'medshare/v1/study/1', 'medshare/v1/study/2'].map(utf8);
      const seen = new Set<string>();
      for (let k = 0; k < 4; k++) {
        const publicCompressed = toHex(Point.fromHex(keys[k]!.publicKey).toBytes(true));
        for (const s of scopes) {
          const image = toHex(ringKeyImage(keys[k]!.privateKey, s));
          expect(image).not.toBe(publicCompressed);
          seen.add(image);
        }
      }
      expect(seen.size).toBe(16);
    });

    it("the key image is x·Hp(scope) by sm-crypto's independent point arithmetic", () => {
      for (let k = 0; k < 3; k++) {
        const h = ringScopePoint(scope);
        const expected = smCurve
          .decodePointHex(toHex(h.toBytes(false)))
          .multiply(new BigInteger(keys[k]!.privateKey, 16));
        const image = ringKeyImage(keys[k]!.privateKey, scope);
        expect(toHex(image.subarray(1))).toBe(expected.getX().toBigInteger().toString(16).padStart(64, '0'));
      }
    });
  });

  describe('soundness', () => {
    it('a signature by a key outside the ring fails: the signer swapped for another key', () => {
      // Key 16 signs in a ring with it at position 2; the verifier's ring has key 2 there instead.
      const ringWith16 = ring4.map((m, i) => (i === 2 ? member(16) : m));
      const signature = signAt(ringWith16, 2, 16);
      expect(ringVerify({ message, scope, ring: ringWith16, signature })).toBe(true);
      expect(ringVerify({ message, scope, ring: ring4, signature })).toBe(false);
    });

    it('random responses with a genuine key image and a random c0 never verify', () => {
      const image = ringKeyImage(keys[0]!.privateKey, scope);
      for (let attempt = 0; attempt < 40; attempt++) {
        const scalars = Array.from({ length: 5 }, () =>
          scalarToBytes((BigInt(`0x${toHex(nodeCrypto.randomBytes(32))}`) % (SM2_N - 1n)) + 1n),
        );
        const signature = Uint8Array.from([...image, ...scalars.flatMap((s) => [...s])]);
        expect(ringVerify({ ...base, signature })).toBe(false);
      }
    });

    it('a signature keeps nothing across scopes or messages, and the signer cannot claim another key image', () => {
      expect(ringVerify({ ...base, scope: utf8('another study') })).toBe(false);
      const otherImage = ringKeyImage(keys[0]!.privateKey, scope);
      expect(ringVerify({ ...base, signature: Uint8Array.from([...otherImage, ...sig4.subarray(33)]) })).toBe(false);
    });

    it('the signer must hold the key at its position', () => {
      expect(() => signAt(ring4, 0, 1)).toThrow(RangeError);
      expect(() => signAt(ring4, 4, 1)).toThrow(RangeError);
      expect(() => signAt(ring4, -1, 1)).toThrow(RangeError);
      expect(() => signAt(ring4, 0.5, 1)).toThrow(RangeError);
      expect(() => ringSign({ message, scope, ring: ring4, signer: 1, privateKey: 'zz' })).toThrow(RangeError);
      expect(() =>
        ringSign({ message, scope, ring: ring4, signer: 1, privateKey: toHex(scalarToBytes(SM2_N - 1n)) }),
      ).toThrow(RangeError);
    });
  });

  describe('refusals of malformed input', () => {
    const onCurve = (i: number): Uint8Array => member(i);
    const offCurve = flipped(onCurve(5), 64);
    const withScalar = (offset: number, value: bigint): Uint8Array => {
      const copy = sig4.slice();
      copy.set(value < 2n ** 256n ? scalarToBytes(value) : new Uint8Array(32).fill(0xff), offset);
      return copy;
    };

    it.each([
      ['a member off the curve', { ring: [ring4[0]!, offCurve, ring4[2]!, ring4[3]!] }],
      [
        'a compressed member',
        { ring: [ring4[0]!, ring4[1]!, ring4[2]!, Point.fromHex(keys[3]!.publicKey).toBytes(true)] },
      ],
      [
        'a member with x = p',
        { ring: [Uint8Array.from([4, ...scalarToBytes(SM2_P), ...onCurve(0).subarray(33)]), ...ring4.slice(1)] },
      ],
      ['an empty ring', { ring: [] }],
      ['a ring of 1025', { ring: Array.from({ length: RING_MAX_SIZE + 1 }, () => ring4[0]!) }],
      ['an empty scope', { scope: new Uint8Array(0) }],
      [
        'a key image off the curve',
        { signature: Uint8Array.from([2, ...new Uint8Array(31), 5, ...sig4.subarray(33)]) },
      ],
      ['a key image with first byte 04', { signature: Uint8Array.from([4, ...sig4.subarray(1)]) }],
      ['a key image with x = p', { signature: Uint8Array.from([2, ...scalarToBytes(SM2_P), ...sig4.subarray(33)]) }],
      ['c0 = 0', { signature: withScalar(33, 0n) }],
      ['c0 = n', { signature: withScalar(33, SM2_N) }],
      ['s_2 = n', { signature: withScalar(65 + 64, SM2_N) }],
      ['s_3 = 2^256 − 1', { signature: withScalar(65 + 96, 2n ** 256n) }],
      ['a truncated signature', { signature: sig4.subarray(0, 192) }],
    ] as Array<[string, Partial<RingVerifyArgs>]>)('refuses %s with a RangeError', (_, change) => {
      expect(() => ringVerify({ ...base, ...change })).toThrow(RangeError);
    });

    it('refuses wrong types with a TypeError', () => {
      expect(() => ringVerify({ ...base, message: 'x' as unknown as Uint8Array })).toThrow(TypeError);
      expect(() => ringVerify({ ...base, ring: 'x' as unknown as Uint8Array[] })).toThrow(TypeError);
      expect(() => ringVerify({ ...base, signature: [1] as unknown as Uint8Array })).toThrow(TypeError);
      expect(() => ringVerify({ ...base, ring: [1, 2] as unknown as Uint8Array[] })).toThrow(TypeError);
    });

    it('ringSign refuses a malformed member and names its position', () => {
      expect(() =>
        ringSign({ message, scope, ring: [ring4[0]!, offCurve], signer: 0, privateKey: keys[0]!.privateKey }),
      ).toThrow(/ring\[1\]/);
    });
  });

  it('verification draws no randomness, cold or with cached tables', () => {
    const ring = ring16;
    const signature = signAt(ring, 5, 5);
    const noRandom = (): never => {
      throw new Error('randomness drawn during verification');
    };
    clearPointCache();
    const spies = [
      jest.spyOn(nodeCrypto, 'randomBytes').mockImplementation(noRandom),
      jest.spyOn(nodeCrypto, 'randomFillSync').mockImplementation(noRandom),
      jest.spyOn(nodeCrypto, 'randomInt').mockImplementation(noRandom),
      jest.spyOn(globalThis.crypto, 'getRandomValues').mockImplementation(noRandom),
    ];
    try {
      // The control: a function that draws randomness now fails.
      expect(() => generateKeyPair()).toThrow('randomness drawn');
      for (const spy of spies) spy.mockClear();
      expect(ringVerify({ message, scope, ring, signature })).toBe(true);
      for (let round = 0; round < 6; round++) {
        ringVerify({ message, scope, ring, signature });
        buildQueuedTables();
      }
      expect(verifyKeyStats().tables).toBeGreaterThan(0);
      expect(ringVerify({ message, scope, ring, signature })).toBe(true);
      expect(ringVerify({ message, scope, ring, signature: flipped(signature, 100) })).toBe(false);
      for (const spy of spies) expect(spy).not.toHaveBeenCalled();
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
  });

  it.each([1, 2, 3, 12, 13, 65])(
    'a ring of %d verifies the same by every arithmetic path (wNAF, transient and cached tables)',
    (size) => {
      const ring = Array.from({ length: size }, (_, i) => (i < 17 ? member(i) : fromHex(generateKeyPair().publicKey)));
      const signer = size - 1;
      const holder = signer < 17 ? keys[signer]! : undefined;
      // Beyond the 17 test keys the signer's key is a fresh one put at the last position.
      const pair = holder ?? generateKeyPair();
      if (!holder) ring[signer] = fromHex(pair.publicKey);
      const signature = ringSign({ message, scope, ring, signer, privateKey: pair.privateKey });
      const tampered = flipped(signature, signature.length - 1);
      clearPointCache();
      expect(ringVerify({ message, scope, ring, signature })).toBe(true);
      expect(ringVerify({ message, scope, ring, signature: tampered })).toBe(false);
      for (let round = 0; round < 12 && verifyKeyStats().tables < size + 1; round++) {
        ringVerify({ message, scope, ring, signature });
        buildQueuedTables();
      }
      expect(verifyKeyStats().tables).toBe(size + 1); // every member and the scope point
      expect(ringVerify({ message, scope, ring, signature })).toBe(true);
      expect(ringVerify({ message, scope, ring, signature: tampered })).toBe(false);
    },
  );
});

describe('the bLSAG signer takes the same steps at every position', () => {
  it('one nonce commitment, then n − 1 decoy commitments, whatever π is', () => {
    const size = 6;
    const traces = Array.from({ length: size }, (_, signer) => {
      const trace: string[] = [];
      const group: BlsagSigningGroup = {
        order: SM2_N,
        commitNonce: () => (trace.push('commitNonce'), [new Uint8Array(33), new Uint8Array(33)]),
        commit: () => (trace.push('commit'), [new Uint8Array(33), new Uint8Array(33)]),
        challenge: () => (trace.push('challenge'), 7n),
      };
      let k = 0n;
      blsagSign(group, size, signer, 5n, () => (trace.push('nonce'), ++k));
      return trace.join(' ');
    });
    expect(new Set(traces).size).toBe(1);
    expect(traces[0]).toBe(`nonce commitNonce challenge${' nonce commit challenge'.repeat(size - 1)}`);
  });
});
