// SPDX-License-Identifier: Apache-2.0
import { bigIntToBytes, utf8 } from '../bytes';
import { encodeCompressed, Point, SM2_N } from '../sm2/curve';
import { acceptedTamperings, accepts, layout } from '../testing/tamper';
import { pedersenH } from './generators';
import {
  OPENING_PROOF_BYTES,
  checkOpening,
  commit,
  decodeOpeningProof,
  encodeOpeningProof,
  keywordScalar,
  proveOpening,
  verifyOpening,
} from './pedersen';

const context = utf8('study 7 / 2026-12-01');
const { commitment, blinding } = commit(130n);
const proof = proveOpening({ commitment, value: 130n, blinding, context });

describe('Pedersen commitments', () => {
  it('commit is v·G + r·H, checked by checkOpening', () => {
    const expected = Point.BASE.multiply(130n).add(pedersenH().point.multiply(blinding));
    expect(commitment).toEqual(encodeCompressed(expected));
    expect(checkOpening(commitment, 130n, blinding)).toBe(true);
    expect(checkOpening(commitment, 131n, blinding)).toBe(false);
    expect(checkOpening(commitment, 130n, blinding + 1n)).toBe(false);
  });

  it('commits to zero and to n − 1 (the scalar edge cases of the constant-time multiplication)', () => {
    for (const v of [0n, 1n, SM2_N - 1n]) {
      const c = commit(v, 5n);
      expect(c.commitment).toEqual(encodeCompressed(Point.BASE.multiplyUnsafe(v).add(pedersenH().point.multiply(5n))));
    }
  });

  it('hides: two commitments to one value differ', () => {
    expect(commit(7n).commitment).not.toEqual(commit(7n).commitment);
  });

  it('refuses a value ≥ n, a zero blinding and a commitment that is not a point', () => {
    expect(() => commit(SM2_N)).toThrow(RangeError);
    expect(() => commit(-1n)).toThrow(RangeError);
    expect(() => commit(1n, 0n)).toThrow(RangeError);
    expect(() => commit(1 as unknown as bigint)).toThrow(TypeError);
    const offCurve = Uint8Array.of(0x02, ...bigIntToBytes(3n, 32)); // x = 3 has no point on sm2p256v1
    expect(() => Point.fromBytes(offCurve)).toThrow();
    expect(() => checkOpening(offCurve, 1n, 1n)).toThrow(RangeError);
  });

  it('hashes keywords to scalars by their bytes', () => {
    expect(keywordScalar(utf8('I10'))).not.toBe(keywordScalar(utf8('I10.9')));
    expect(keywordScalar(utf8('I10'))).toBe(keywordScalar(utf8('I10')));
    expect(() => keywordScalar(new Uint8Array(0))).toThrow(RangeError);
    expect(() => keywordScalar(new Uint8Array(257))).toThrow(RangeError);
  });
});

describe('the proof of opening to a public value', () => {
  it('round-trips and verifies', () => {
    expect(proof).toHaveLength(OPENING_PROOF_BYTES);
    expect(encodeOpeningProof(decodeOpeningProof(proof))).toEqual(proof);
    expect(verifyOpening({ commitment, value: 130n, context, proof })).toBe(true);
  });

  it('fails for another value, another commitment or another context', () => {
    expect(verifyOpening({ commitment, value: 131n, context, proof })).toBe(false);
    expect(verifyOpening({ commitment: commit(130n).commitment, value: 130n, context, proof })).toBe(false);
    expect(verifyOpening({ commitment, value: 130n, context: utf8('study 7 / 2026-12-02'), proof })).toBe(false);
  });

  it('the prover refuses a commitment that does not open to the value', () => {
    expect(() => proveOpening({ commitment, value: 129n, blinding, context })).toThrow(RangeError);
  });

  it('no tampered field is accepted', () => {
    const fields = layout([
      ['A', 'point'],
      ['z', 'scalar'],
    ]);
    expect(
      acceptedTamperings(proof, fields, (p) => verifyOpening({ commitment, value: 130n, context, proof: p })),
    ).toEqual([]);
    const commitmentField = layout([['C', 'point']]);
    expect(
      acceptedTamperings(commitment, commitmentField, (c) =>
        verifyOpening({ commitment: c, value: 130n, context, proof }),
      ),
    ).toEqual([]);
  });

  it('refuses malformed proofs with RangeError', () => {
    expect(() => verifyOpening({ commitment, value: 130n, context, proof: proof.subarray(1) })).toThrow(RangeError);
    expect(() => verifyOpening({ commitment, value: SM2_N, context, proof })).toThrow(RangeError);
    expect(accepts(() => verifyOpening({ commitment, value: 130n, context, proof: new Uint8Array(65) }))).toBe(false);
  });
});
