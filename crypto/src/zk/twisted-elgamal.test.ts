// SPDX-License-Identifier: Apache-2.0
import fc from 'fast-check';
import { utf8 } from '../bytes';
import { decodeCompressed, encodeCompressed, SM2_N } from '../sm2/curve';
import { acceptedTamperings, layout } from '../testing/tamper';
import { pedersenH } from './generators';
import { commitPoint } from './pedersen';
import {
  CIPHERTEXT_BYTES,
  EMPTY_AGGREGATE,
  decodeAggregate,
  decodeCiphertext,
  encodeCiphertext,
  twistedAdd,
  twistedDecrypt,
  twistedEncrypt,
  twistedKeyGen,
  twistedPublicKey,
} from './twisted-elgamal';
import { VALIDITY_PROOF_BYTES, decodeValidityProof, encodeValidityProof, proveValid, verifyValid } from './validity';

const BITS = 20; // decryption bound 2^20 keeps the baby-step table at 1,024 points in tests
const context = utf8('study 7 / 2026-12-01');
const keys = twistedKeyGen();
const values = [120n, 80n, 0n];
const encryptions = values.map((v) => twistedEncrypt(keys.publicKey, v));
const ciphertexts = encryptions.map((e) => e.ciphertext);
const openings = encryptions.map((e, i) => ({ value: values[i] as bigint, randomness: e.randomness }));
const proof = proveValid({ publicKey: keys.publicKey, ciphertexts, openings, context });

function verifies(args: Partial<Parameters<typeof verifyValid>[0]> = {}): boolean {
  return verifyValid({ publicKey: keys.publicKey, ciphertexts, context, proof, ...args });
}

describe('twisted ElGamal', () => {
  it('pk = sk·H, and decryption returns the plaintext', () => {
    expect(twistedPublicKey(keys.secretKey)).toEqual(keys.publicKey);
    const sk = BigInt(`0x${Buffer.from(keys.secretKey).toString('hex')}`);
    expect(keys.publicKey).toEqual(encodeCompressed(pedersenH().point.multiply(sk)));
    values.forEach((v, i) => expect(twistedDecrypt(keys.secretKey, ciphertexts[i] as Uint8Array, BITS)).toBe(v));
    expect(twistedDecrypt(keys.secretKey, twistedEncrypt(keys.publicKey, 1_000_000n).ciphertext, BITS)).toBe(
      1_000_000n,
    );
  });

  it('Y is the Pedersen commitment v·G + r·H and X is r·pk', () => {
    const { x, y } = decodeCiphertext(ciphertexts[0] as Uint8Array);
    const r = openings[0]?.randomness as bigint;
    expect(y.equals(commitPoint(120n, r))).toBe(true);
    expect(x.equals(decodeCompressed(keys.publicKey, 'pk').multiply(r))).toBe(true);
  });

  it('adds homomorphically; the empty aggregate is the identity and decrypts to 0', () => {
    const sum = twistedAdd(...ciphertexts);
    expect(twistedDecrypt(keys.secretKey, sum, BITS)).toBe(200n);
    expect(twistedDecrypt(keys.secretKey, EMPTY_AGGREGATE, BITS)).toBe(0n);
    expect(twistedAdd(EMPTY_AGGREGATE, ciphertexts[0] as Uint8Array)).toEqual(ciphertexts[0]);
  });

  it('an aggregate whose halves cancel encodes the identity as zeros and still decrypts', () => {
    const r = encryptions[0]?.randomness as bigint;
    const a = twistedEncrypt(keys.publicKey, 5n, r).ciphertext;
    const b = twistedEncrypt(keys.publicKey, 7n, SM2_N - r).ciphertext;
    const sum = twistedAdd(a, b);
    expect(sum.subarray(0, 33)).toEqual(new Uint8Array(33));
    expect(decodeAggregate(sum).x.is0()).toBe(true);
    expect(twistedDecrypt(keys.secretKey, sum, BITS)).toBe(12n);
    // A ciphertext (not an aggregate) never holds the identity.
    expect(() => decodeCiphertext(sum)).toThrow(RangeError);
    expect(() => encodeCiphertext(decodeAggregate(sum))).toThrow(RangeError);
  });

  it('refuses a plaintext beyond the decryption bound, and bounds beyond 2^36', () => {
    const big = twistedEncrypt(keys.publicKey, 2n ** 20n).ciphertext;
    expect(() => twistedDecrypt(keys.secretKey, big, BITS)).toThrow('the plaintext is not in [0, 2^20)');
    expect(twistedDecrypt(keys.secretKey, big, 22)).toBe(2n ** 20n);
    expect(() => twistedDecrypt(keys.secretKey, big, 37)).toThrow(RangeError);
  });

  it('refuses plaintexts outside [0, 2^64) and malformed keys and ciphertexts', () => {
    expect(() => twistedEncrypt(keys.publicKey, -1n)).toThrow(RangeError);
    expect(() => twistedEncrypt(keys.publicKey, 2n ** 64n)).toThrow(RangeError);
    expect(() => twistedEncrypt(keys.publicKey.subarray(1), 1n)).toThrow(RangeError);
    expect(() => twistedDecrypt(new Uint8Array(32), ciphertexts[0] as Uint8Array)).toThrow(RangeError);
    expect(() => decodeCiphertext(new Uint8Array(CIPHERTEXT_BYTES))).toThrow(RangeError);
    expect(() => decodeCiphertext((ciphertexts[0] as Uint8Array).subarray(1))).toThrow(RangeError);
  });
});

describe('the validity proof', () => {
  it('round-trips and verifies for 1 and 3 ciphertexts', () => {
    expect(proof).toHaveLength(VALIDITY_PROOF_BYTES);
    expect(encodeValidityProof(decodeValidityProof(proof))).toEqual(proof);
    expect(verifies()).toBe(true);
    const one = proveValid({
      publicKey: keys.publicKey,
      ciphertexts: ciphertexts.slice(0, 1),
      openings: openings.slice(0, 1),
      context,
    });
    expect(verifies({ ciphertexts: ciphertexts.slice(0, 1), proof: one })).toBe(true);
  });

  it('fails for other ciphertexts, another order, another key or another context', () => {
    const other = twistedEncrypt(keys.publicKey, 120n).ciphertext;
    expect(verifies({ ciphertexts: [other, ciphertexts[1], ciphertexts[2]] as Uint8Array[] })).toBe(false);
    expect(verifies({ ciphertexts: [ciphertexts[1], ciphertexts[0], ciphertexts[2]] as Uint8Array[] })).toBe(false);
    expect(verifies({ ciphertexts: ciphertexts.slice(0, 2) })).toBe(false);
    expect(verifies({ publicKey: twistedKeyGen().publicKey })).toBe(false);
    expect(verifies({ context: utf8('study 7 / 2026-12-02') })).toBe(false);
  });

  it('the prover refuses an opening that is not the ciphertext’s', () => {
    const wrong = openings.map((o, i) => (i === 1 ? { ...o, value: 81n } : o));
    expect(() => proveValid({ publicKey: keys.publicKey, ciphertexts, openings: wrong, context })).toThrow(
      'ciphertexts[1] is not the encryption of openings[1]',
    );
  });

  it('no tampered field of the proof, a ciphertext or the key is accepted', () => {
    const fields = layout([
      ['A_X', 'point'],
      ['A_Y', 'point'],
      ['z_v', 'scalar'],
      ['z_r', 'scalar'],
    ]);
    expect(acceptedTamperings(proof, fields, (p) => verifies({ proof: p }))).toEqual([]);
    const ctFields = layout([
      ['X', 'point'],
      ['Y', 'point'],
    ]);
    for (let i = 0; i < ciphertexts.length; i++) {
      const swap = (c: Uint8Array): Uint8Array[] => ciphertexts.map((x, j) => (j === i ? c : x));
      expect(
        acceptedTamperings(ciphertexts[i] as Uint8Array, ctFields, (c) => verifies({ ciphertexts: swap(c) })),
      ).toEqual([]);
    }
    expect(acceptedTamperings(keys.publicKey, layout([['pk', 'point']]), (pk) => verifies({ publicKey: pk }))).toEqual(
      [],
    );
  });

  it('refuses 0 or 65 ciphertexts and a proof of the wrong length', () => {
    expect(() => verifies({ ciphertexts: [] })).toThrow(RangeError);
    expect(() => verifies({ ciphertexts: Array.from({ length: 65 }, () => ciphertexts[0] as Uint8Array) })).toThrow(
      RangeError,
    );
    expect(() => verifies({ proof: proof.subarray(1) })).toThrow(RangeError);
  });
});

describe('the homomorphic aggregate of accepted ciphertexts (property)', () => {
  it('decrypts to the sum of their plaintexts', () => {
    fc.assert(
      fc.property(fc.array(fc.bigInt({ min: 0n, max: 5000n }), { minLength: 1, maxLength: 4 }), (plaintexts) => {
        let aggregate = EMPTY_AGGREGATE;
        const day = plaintexts.map((v) => twistedEncrypt(keys.publicKey, v));
        const cts = day.map((e) => e.ciphertext);
        const dayProof = proveValid({
          publicKey: keys.publicKey,
          ciphertexts: cts,
          openings: day.map((e, i) => ({ value: plaintexts[i] as bigint, randomness: e.randomness })),
          context,
        });
        if (verifyValid({ publicKey: keys.publicKey, ciphertexts: cts, context, proof: dayProof }))
          aggregate = twistedAdd(aggregate, ...cts);
        const sum = plaintexts.reduce((s, v) => s + v, 0n);
        expect(twistedDecrypt(keys.secretKey, aggregate, BITS)).toBe(sum);
      }),
      { numRuns: 8 },
    );
  });
});
