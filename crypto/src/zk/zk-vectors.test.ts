// SPDX-License-Identifier: Apache-2.0
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { utf8 } from '../bytes';
import { labelScalars } from '../testing/zk';
import { ipaU, pedersenH, vectorGenerators, ZK_GENERATORS_DST } from './generators';
import { proveMembershipWith, verifyMembership } from './membership';
import { commit, keywordScalar, proveOpeningWith, verifyOpening } from './pedersen';
import { proveRangeWith, verifyRange } from './range-proof';
import { Transcript } from './transcript';
import { twistedAdd, twistedDecrypt, twistedEncrypt, twistedKeyGenWith } from './twisted-elgamal';
import { proveValidWith, verifyValid } from './validity';

interface Refusal {
  scheme: 'opening' | 'membership' | 'validity' | 'range';
  base: number;
  name: string;
  expect: 'invalid' | 'refused';
  refusedBy?: string;
  [field: string]: unknown;
}

interface Vectors {
  generators: { dst: string; H: string; U: string; G_i: string[]; H_i: string[] };
  transcript: { context: string; T: string; steps: { challenge?: string; scalar?: string; values?: string[] }[] };
  keywords: { text: string; scalar: string }[];
  commitments: { value: string; blinding: string; C: string }[];
  openings: { C: string; value: string; context: string; proof: string }[];
  memberships: { C: string; keywords: string[]; context: string; proof: string }[];
  elgamal: {
    secretKey: string;
    publicKey: string;
    encryptions: { value: string; randomness: string; ciphertext: string }[];
    aggregates: { of: number[] | string; aggregate: string; bits: number; decrypted: string }[];
  };
  validity: { publicKey: string; ciphertexts: number[]; context: string; proof: string }[];
  ranges: {
    publicKey: string;
    ciphertexts: number[];
    ranges: [string, string][];
    bits: number;
    context: string;
    proof: string;
  }[];
  refusals: Refusal[];
  decryptRefusals: { ciphertext: string; bits: number; refusedBy?: string; decrypted?: string }[];
}

const v = JSON.parse(readFileSync(join(__dirname, '../../../test/vectors/zk.json'), 'utf8')) as Vectors;
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const bytes = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, 'hex'));
const big = (h: string): bigint => BigInt(`0x${h}`);
const ct = (i: number): Uint8Array => bytes(v.elgamal.encryptions[i]?.ciphertext as string);
const opening = (i: number): { value: bigint; randomness: bigint } => {
  const e = v.elgamal.encryptions[i] as { value: string; randomness: string };
  return { value: BigInt(e.value), randomness: big(e.randomness) };
};
const rangesOf = (rs: [string, string][]): { lo: bigint; hi: bigint }[] =>
  rs.map(([lo, hi]) => ({ lo: BigInt(lo), hi: BigInt(hi) }));

describe('test/vectors/zk.json (docs/protocol.md §20)', () => {
  it('generators, the sample transcript and keyword scalars', () => {
    expect(v.generators.dst).toBe(ZK_GENERATORS_DST);
    expect(v.generators.H).toBe(hex(pedersenH().point.toBytes(true)));
    expect(v.generators.U).toBe(hex(ipaU().point.toBytes(true)));
    const { g, h } = vectorGenerators(4);
    expect(v.generators.G_i).toEqual(g.map((x) => hex(x.point.toBytes(true))));
    expect(v.generators.H_i).toEqual(h.map((x) => hex(x.point.toBytes(true))));
    const t = new Transcript('range', bytes(v.transcript.context));
    t.append('A', Uint8Array.of(1, 2, 3));
    expect(t.challengeScalar('y').toString(16).padStart(64, '0')).toBe(v.transcript.steps[1]?.scalar);
    t.append('empty', new Uint8Array(0));
    expect(t.weights('w', 2).map((w) => w.toString(16).padStart(32, '0'))).toEqual(v.transcript.steps[3]?.values);
    expect(hex(t.bytes())).toBe(v.transcript.T);
    for (const k of v.keywords) expect(keywordScalar(utf8(k.text)).toString(16).padStart(64, '0')).toBe(k.scalar);
  });

  it('commitments, encryptions and aggregates', () => {
    for (const c of v.commitments) expect(hex(commit(big(c.value), big(c.blinding)).commitment)).toBe(c.C);
    const keys = twistedKeyGenWith(labelScalars('elgamal key'));
    expect(hex(keys.secretKey)).toBe(v.elgamal.secretKey);
    expect(hex(keys.publicKey)).toBe(v.elgamal.publicKey);
    for (const e of v.elgamal.encryptions)
      expect(hex(twistedEncrypt(keys.publicKey, BigInt(e.value), big(e.randomness)).ciphertext)).toBe(e.ciphertext);
    const [sum, cancelling] = v.elgamal.aggregates as [
      Vectors['elgamal']['aggregates'][0],
      Vectors['elgamal']['aggregates'][0],
    ];
    expect(hex(twistedAdd(...(sum.of as number[]).map(ct)))).toBe(sum.aggregate);
    for (const a of [sum, cancelling])
      expect(twistedDecrypt(keys.secretKey, bytes(a.aggregate), a.bits).toString()).toBe(a.decrypted);
    for (const d of v.decryptRefusals) {
      if (d.refusedBy) expect(() => twistedDecrypt(keys.secretKey, bytes(d.ciphertext), d.bits)).toThrow(RangeError);
      else expect(twistedDecrypt(keys.secretKey, bytes(d.ciphertext), d.bits).toString()).toBe(d.decrypted);
    }
  });

  it('every proof is reproduced from its labels and verifies', () => {
    v.openings.forEach((o, i) => {
      const c = v.commitments[i] as { blinding: string };
      const args = { commitment: bytes(o.C), value: big(o.value), context: bytes(o.context) };
      expect(hex(proveOpeningWith({ ...args, blinding: big(c.blinding) }, labelScalars(`opening ${i}`)))).toBe(o.proof);
      expect(verifyOpening({ ...args, proof: bytes(o.proof) })).toBe(true);
    });
    const ownCommitment = [4, 2, 3];
    v.memberships.forEach((m, i) => {
      const c = v.commitments[ownCommitment[i] as number] as { blinding: string };
      const keywords = m.keywords.map(utf8);
      const own = ['I10', 'I25.1', 'A09'][i] as string;
      const args = { commitment: bytes(m.C), keywords, context: bytes(m.context) };
      const proof = proveMembershipWith(
        { ...args, keyword: utf8(own), blinding: big(c.blinding) },
        labelScalars(`membership ${i}`),
      );
      expect(hex(proof)).toBe(m.proof);
      expect(verifyMembership({ ...args, proof })).toBe(true);
    });
    v.validity.forEach((p, i) => {
      const args = { publicKey: bytes(p.publicKey), ciphertexts: p.ciphertexts.map(ct), context: bytes(p.context) };
      expect(
        hex(proveValidWith({ ...args, openings: p.ciphertexts.map(opening) }, labelScalars(`validity ${i}`))),
      ).toBe(p.proof);
      expect(verifyValid({ ...args, proof: bytes(p.proof) })).toBe(true);
    });
    v.ranges.forEach((p, i) => {
      const args = {
        publicKey: bytes(p.publicKey),
        ciphertexts: p.ciphertexts.map(ct),
        ranges: rangesOf(p.ranges),
        bits: p.bits,
        context: bytes(p.context),
      };
      // The 64-bit case is only verified here: re-proving it would cost a second of the unit suite.
      if (p.bits < 64) {
        const proof = proveRangeWith({ ...args, openings: p.ciphertexts.map(opening) }, labelScalars(`range ${i}`));
        expect(hex(proof)).toBe(p.proof);
      }
      expect(verifyRange({ ...args, proof: bytes(p.proof) })).toBe(true);
    });
  });

  it('every refusal is refused or fails as labelled', () => {
    const outcome = (r: Refusal): 'invalid' | 'refused' | 'valid' => {
      try {
        return run(r) ? 'valid' : 'invalid';
      } catch (error) {
        if (error instanceof RangeError) return 'refused';
        throw error;
      }
    };
    for (const r of v.refusals)
      expect({ name: r.name, outcome: outcome(r) }).toEqual({ name: r.name, outcome: r.expect });
  });
});

function run(r: Refusal): boolean {
  const pick = <T>(field: string, fallback: T): T => (field in r ? (r[field] as T) : fallback);
  const cts = (base: number[]): Uint8Array[] =>
    'rawCiphertexts' in r ? (r.rawCiphertexts as string[]).map(bytes) : pick('ciphertexts', base).map(ct);
  switch (r.scheme) {
    case 'opening': {
      const b = v.openings[r.base] as Vectors['openings'][0];
      return verifyOpening({
        commitment: bytes(pick('C', b.C)),
        value: big(pick('value', b.value)),
        context: bytes(pick('context', b.context)),
        proof: bytes(pick('proof', b.proof)),
      });
    }
    case 'membership': {
      const b = v.memberships[r.base] as Vectors['memberships'][0];
      return verifyMembership({
        commitment: bytes(pick('C', b.C)),
        keywords: pick('keywords', b.keywords).map(utf8),
        context: bytes(pick('context', b.context)),
        proof: bytes(pick('proof', b.proof)),
      });
    }
    case 'validity': {
      const b = v.validity[r.base] as Vectors['validity'][0];
      return verifyValid({
        publicKey: bytes(pick('publicKey', b.publicKey)),
        ciphertexts: cts(b.ciphertexts),
        context: bytes(pick('context', b.context)),
        proof: bytes(pick('proof', b.proof)),
      });
    }
    case 'range': {
      const b = v.ranges[r.base] as Vectors['ranges'][0];
      return verifyRange({
        publicKey: bytes(pick('publicKey', b.publicKey)),
        ciphertexts: cts(b.ciphertexts),
        ranges: rangesOf(pick('ranges', b.ranges)),
        bits: pick('bits', b.bits),
        context: bytes(pick('context', b.context)),
        proof: bytes(pick('proof', b.proof)),
      });
    }
  }
}
