// SPDX-License-Identifier: Apache-2.0
import { utf8 } from '../bytes';
import { acceptedTamperings, layout, type FieldKind } from '../testing/tamper';
import {
  decodeMembershipProof,
  encodeMembershipProof,
  membershipProofLength,
  proveMembership,
  verifyMembership,
} from './membership';
import { commit, keywordScalar } from './pedersen';

const context = utf8('study 7 / join');
const codes = (n: number): Uint8Array[] => Array.from({ length: n }, (_, i) => utf8(`I${10 + i}`));
const keywords = codes(4);
const own = keywords[2] as Uint8Array;
const { commitment, blinding } = commit(keywordScalar(own));
const proof = proveMembership({ commitment, keywords, keyword: own, blinding, context });

function verifies(args: Partial<Parameters<typeof verifyMembership>[0]> = {}): boolean {
  return verifyMembership({ commitment, keywords, context, proof, ...args });
}

function proofLayout(m: number): ReturnType<typeof layout> {
  const parts: [string, FieldKind][] = [
    ...Array.from({ length: m }, (_, i): [string, FieldKind] => [`A_${i + 1}`, 'point']),
    ...Array.from({ length: m - 1 }, (_, i): [string, FieldKind] => [`c_${i + 1}`, 'scalar']),
    ...Array.from({ length: m }, (_, i): [string, FieldKind] => [`z_${i + 1}`, 'scalar']),
  ];
  return layout(parts);
}

describe('keyword membership (CDS one-of-m OR proof)', () => {
  it('round-trips and verifies, at every position of sets of 1, 4 and 16', () => {
    expect(proof).toHaveLength(membershipProofLength(4));
    expect(encodeMembershipProof(decodeMembershipProof(proof, 4))).toEqual(proof);
    expect(verifies()).toBe(true);
    for (const m of [1, 16]) {
      const set = codes(m);
      for (const j of m === 1 ? [0] : [0, 9, 15]) {
        const c = commit(keywordScalar(set[j] as Uint8Array));
        const p = proveMembership({ ...c, keywords: set, keyword: set[j] as Uint8Array, context });
        expect(verifyMembership({ commitment: c.commitment, keywords: set, context, proof: p })).toBe(true);
      }
    }
  });

  it('sizes: 97·m − 32 bytes (4 → 356, 16 → 1520, 64 → 6176)', () => {
    expect([4, 16, 64].map(membershipProofLength)).toEqual([356, 1520, 6176]);
  });

  it('a keyword outside the set cannot be proven, and a proof for the set fails for another set', () => {
    const outsider = commit(keywordScalar(utf8('C50')));
    expect(() => proveMembership({ ...outsider, keywords, keyword: utf8('C50'), context })).toThrow(
      'keyword is not in the set',
    );
    // A proof for {I10, I11, I12, I13} does not verify for the set with I12 replaced.
    const others = keywords.map((k, i) => (i === 2 ? utf8('C50') : k));
    expect(verifies({ keywords: others })).toBe(false);
    expect(verifies({ keywords: [...keywords].reverse() })).toBe(false);
    expect(verifies({ keywords: keywords.slice(0, 3), proof: proof.subarray(0, membershipProofLength(3)) })).toBe(
      false,
    );
  });

  it('the prover refuses a commitment that does not open to its keyword', () => {
    expect(() =>
      proveMembership({ commitment, keywords, keyword: keywords[1] as Uint8Array, blinding, context }),
    ).toThrow('commitment does not open to keyword');
  });

  it('fails for another commitment or context', () => {
    expect(verifies({ commitment: commit(keywordScalar(own)).commitment })).toBe(false);
    expect(verifies({ context: utf8('study 8 / join') })).toBe(false);
  });

  it('no tampered field of the proof or the commitment is accepted', () => {
    expect(acceptedTamperings(proof, proofLayout(4), (p) => verifies({ proof: p }))).toEqual([]);
    expect(acceptedTamperings(commitment, layout([['C', 'point']]), (c) => verifies({ commitment: c }))).toEqual([]);
  });

  it('refuses sets of 0 or 65 keywords, a repeated keyword and a proof of the wrong length', () => {
    expect(() => verifies({ keywords: [] })).toThrow(RangeError);
    expect(() => verifies({ keywords: codes(65) })).toThrow(RangeError);
    expect(() => verifies({ keywords: [keywords[0], keywords[1], keywords[2], keywords[0]] as Uint8Array[] })).toThrow(
      'keywords[3] repeats an earlier keyword',
    );
    expect(() => verifies({ proof: proof.subarray(1) })).toThrow(RangeError);
    expect(() => verifies({ keywords: 'I10' as unknown as Uint8Array[] })).toThrow(TypeError);
  });
});
