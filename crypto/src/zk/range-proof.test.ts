// SPDX-License-Identifier: Apache-2.0
import { utf8 } from '../bytes';
import { acceptedTamperings, layout, type FieldKind } from '../testing/tamper';
import {
  decodeRangeProof,
  encodeRangeProof,
  proveRange,
  rangeProofLength,
  verifyRange,
  type ValueRange,
} from './range-proof';
import { twistedEncrypt, twistedKeyGen, type Opening } from './twisted-elgamal';

const context = utf8('study 7 / 2026-12-01');
const keys = twistedKeyGen();

function encrypt(values: readonly bigint[]): { ciphertexts: Uint8Array[]; openings: Opening[] } {
  const encryptions = values.map((v) => twistedEncrypt(keys.publicKey, v));
  return {
    ciphertexts: encryptions.map((e) => e.ciphertext),
    openings: encryptions.map((e, i) => ({ value: values[i] as bigint, randomness: e.randomness })),
  };
}

// Systolic 120 in [90, 180] (two values), a score 60 in [0, 255] (one value): 3 values, padded to 4.
const ranges: ValueRange[] = [
  { lo: 90n, hi: 180n },
  { lo: 0n, hi: 255n },
];
const day = encrypt([120n, 60n]);
const proof = proveRange({ publicKey: keys.publicKey, ...day, ranges, bits: 8, context });

type Args = Parameters<typeof verifyRange>[0];
function verifies(args: Partial<Args> = {}): boolean {
  return verifyRange({
    publicKey: keys.publicKey,
    ciphertexts: day.ciphertexts,
    ranges,
    bits: 8,
    context,
    proof,
    ...args,
  });
}

function proofLayout(rounds: number): ReturnType<typeof layout> {
  const parts: [string, FieldKind][] = [
    ['A', 'point'],
    ['S', 'point'],
    ['T1', 'point'],
    ['T2', 'point'],
    ['tau_x', 'scalar'],
    ['mu', 'scalar'],
    ['t', 'scalar'],
  ];
  for (let j = 0; j < rounds; j++) parts.push([`L_${j}`, 'point'], [`R_${j}`, 'point']);
  parts.push(['a', 'scalar'], ['b', 'scalar']);
  return layout(parts);
}

describe('aggregated Bulletproofs range proofs on twisted ElGamal ciphertexts', () => {
  it('round-trips and verifies (two ciphertexts, 3 values padded to 4, 8 bits: 5 rounds, 622 bytes)', () => {
    expect(proof).toHaveLength(622);
    expect(rangeProofLength(8, ranges)).toBe(622);
    expect(encodeRangeProof(decodeRangeProof(proof, 5))).toEqual(proof);
    expect(verifies()).toBe(true);
  });

  it('sizes: 292 + 66·log2(n·m) bytes; a range of width 2^n is one value, any other two', () => {
    expect(rangeProofLength(8, [{ lo: 100n, hi: 355n }])).toBe(490);
    expect(rangeProofLength(8, [{ lo: 90n, hi: 180n }])).toBe(556);
    expect(rangeProofLength(32, [{ lo: 0n, hi: 2n ** 32n - 1n }])).toBe(622);
    const eight = Array.from({ length: 8 }, () => ({ lo: 90n, hi: 180n }));
    expect(rangeProofLength(8, eight)).toBe(292 + 66 * 7);
  });

  it('accepts the bounds themselves, up to 2^64 − 1', () => {
    const edge = encrypt([90n, 255n]);
    const edgeProof = proveRange({ publicKey: keys.publicKey, ...edge, ranges, bits: 8, context });
    expect(verifies({ ciphertexts: edge.ciphertexts, proof: edgeProof })).toBe(true);
    const max = encrypt([2n ** 64n - 1n]);
    const top = [{ lo: 2n ** 64n - 256n, hi: 2n ** 64n - 1n }];
    const p = proveRange({ publicKey: keys.publicKey, ...max, ranges: top, bits: 8, context });
    expect(verifies({ ciphertexts: max.ciphertexts, ranges: top, proof: p })).toBe(true);
  });

  it('a value out of its range cannot be proven: the prover refuses below lo and above hi', () => {
    for (const v of [89n, 181n]) {
      const out = encrypt([v, 60n]);
      expect(() => proveRange({ publicKey: keys.publicKey, ...out, ranges, bits: 8, context })).toThrow(
        'openings[0].value is not in ranges[0]',
      );
    }
  });

  it('an in-range proof does not carry over: not to a ciphertext of an out-of-range value, a narrower range or other bits', () => {
    // Same randomness, value 200 instead of 120: Y moves by 80·G, the proof must fail.
    const r = day.openings[0]?.randomness as bigint;
    const shifted = twistedEncrypt(keys.publicKey, 200n, r).ciphertext;
    expect(verifies({ ciphertexts: [shifted, day.ciphertexts[1] as Uint8Array] })).toBe(false);
    expect(verifies({ ranges: [{ lo: 90n, hi: 119n }, ranges[1] as ValueRange] })).toBe(false);
    expect(verifies({ ranges: [{ lo: 121n, hi: 180n }, ranges[1] as ValueRange] })).toBe(false);
    expect(verifies({ ranges: [{ lo: 90n, hi: 181n }, ranges[1] as ValueRange] })).toBe(false);
    expect(() => verifies({ bits: 16 })).toThrow(RangeError); // another length: 16·4 needs 6 rounds
  });

  it('fails for another ciphertext, another order, another key or another context', () => {
    const other = encrypt([120n, 60n]);
    expect(verifies({ ciphertexts: other.ciphertexts })).toBe(false);
    expect(verifies({ ciphertexts: [...day.ciphertexts].reverse(), ranges: [...ranges].reverse() })).toBe(false);
    expect(verifies({ publicKey: twistedKeyGen().publicKey })).toBe(false);
    expect(verifies({ context: utf8('study 7 / 2026-12-02') })).toBe(false);
    expect(verifies({ context: utf8('study 8 / 2026-12-01') })).toBe(false);
  });

  it('no tampered field of the proof, a ciphertext or the key is accepted', () => {
    // A one-value proof (3 rounds) keeps this fast; the layout is the same for every size.
    const single = encrypt([120n]);
    const width = [{ lo: 100n, hi: 355n }];
    const p = proveRange({ publicKey: keys.publicKey, ...single, ranges: width, bits: 8, context });
    const check = (changes: Partial<Args>): boolean =>
      verifies({ ciphertexts: single.ciphertexts, ranges: width, proof: p, ...changes });
    expect(check({})).toBe(true);
    expect(acceptedTamperings(p, proofLayout(3), (q) => check({ proof: q }))).toEqual([]);
    const ctFields = layout([
      ['X', 'point'],
      ['Y', 'point'],
    ]);
    expect(
      acceptedTamperings(single.ciphertexts[0] as Uint8Array, ctFields, (c) => check({ ciphertexts: [c] })),
    ).toEqual([]);
    expect(acceptedTamperings(keys.publicKey, layout([['pk', 'point']]), (pk) => check({ publicKey: pk }))).toEqual([]);
  });

  it('refuses unknown bit lengths, ranges that overflow the bit length, bad ranges and counts', () => {
    const one = day.ciphertexts.slice(0, 1);
    expect(() => verifies({ bits: 12 })).toThrow('bits must be one of 8, 16, 32, 64');
    expect(() => verifies({ ciphertexts: one, ranges: [{ lo: 0n, hi: 256n }] })).toThrow('wider than 2^8');
    expect(() => verifies({ ciphertexts: one, ranges: [{ lo: 5n, hi: 4n }] })).toThrow(RangeError);
    expect(() => verifies({ ciphertexts: one, ranges: [{ lo: 0n, hi: 2n ** 64n }] })).toThrow(RangeError);
    expect(() => verifies({ ciphertexts: one, ranges: [{ lo: -1n, hi: 4n }] })).toThrow(RangeError);
    expect(() => verifies({ ciphertexts: one, ranges: [{ lo: 0, hi: 4 } as unknown as ValueRange] })).toThrow(
      TypeError,
    );
    expect(() => verifies({ ranges: ranges.slice(0, 1) })).toThrow(RangeError);
    expect(() => verifies({ ciphertexts: [], ranges: [] })).toThrow(RangeError);
    const nine = Array.from({ length: 9 }, () => day.ciphertexts[0] as Uint8Array);
    expect(() => verifies({ ciphertexts: nine, ranges: nine.map(() => ranges[1] as ValueRange) })).toThrow(RangeError);
    expect(() => verifies({ proof: proof.subarray(0, 621) })).toThrow(RangeError);
    expect(() =>
      proveRange({
        publicKey: keys.publicKey,
        ...day,
        ranges: [{ lo: 0n, hi: 300n }, ranges[1] as ValueRange],
        bits: 8,
        context,
      }),
    ).toThrow('wider than 2^8');
  });
});
