// SPDX-License-Identifier: Apache-2.0
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fromHex, toHex, utf8 } from '../bytes';
import { Point } from '../sm2/curve';
import { sm2Sswu } from '../sm2/hash-to-curve';
import { expandMessageXmd, hashToScalar, XMD_SM3 } from '../sm2/hash-to-field';
import {
  RING_CHALLENGE_DST,
  RING_HASH_TO_CURVE_DST,
  RING_NONCE_DST,
  ringKeyImage,
  ringSign,
  ringSignatureKeyImage,
  ringVerify,
} from './index';
import { ringScopePoint } from './ring';

interface Vectors {
  suite: { id: string; Z: string; L: number; hashToCurveDst: string; challengeDst: string; nonceDst: string };
  expandMessageXmd: Array<{ dst: string; msg: string; lenInBytes: number; uniformBytes: string }>;
  hashToCurve: Array<{
    scope: string;
    u0: string;
    u1: string;
    Q0: string;
    Q1: string;
    point: string;
    compressed: string;
  }>;
  keys: Array<{ secret: string; publicKey: string }>;
  keyImages: Array<{ key: number; scope: string; I: string }>;
  signatures: Array<{
    ring: number[];
    signer: number;
    scope: string;
    message: string;
    nonceSeed: string;
    challenges: string[];
    signature: string;
  }>;
  refusals: Array<{
    name: string;
    field: string;
    base: number;
    ring?: Array<number | string>;
    scope?: string;
    message?: string;
    signature?: string;
    expect: 'invalid' | 'refused';
    refusedBy?: string;
  }>;
}

const v = JSON.parse(readFileSync(join(__dirname, '../../../test/vectors/ring.json'), 'utf8')) as Vectors;
const big = (h: string): bigint => BigInt(`0x${h}`);
const ringOf = (entries: ReadonlyArray<number | string>): Uint8Array[] =>
  entries.map((e) => fromHex(typeof e === 'number' ? v.keys[e]!.publicKey : e));

describe('test/vectors/ring.json (docs/protocol.md §18)', () => {
  it('names the suite this code implements', () => {
    expect(v.suite).toEqual({
      id: 'SM2_XMD:SM3_SSWU_RO_',
      Z: '-9',
      L: 48,
      hashToCurveDst: RING_HASH_TO_CURVE_DST,
      challengeDst: RING_CHALLENGE_DST,
      nonceDst: RING_NONCE_DST,
    });
  });

  it('expand_message_xmd with SM3', () => {
    for (const t of v.expandMessageXmd)
      expect(toHex(expandMessageXmd(XMD_SM3, utf8(t.msg), utf8(t.dst), t.lenInBytes))).toBe(t.uniformBytes);
  });

  it('hash to curve: u0, u1, Q0, Q1 and Hp(scope)', () => {
    const dst = utf8(RING_HASH_TO_CURVE_DST);
    for (const t of v.hashToCurve) {
      const scope = fromHex(t.scope);
      const [u0, u1] = sm2Sswu.hashToField(scope, dst, 2) as [bigint, bigint];
      expect([u0, u1]).toEqual([big(t.u0), big(t.u1)]);
      expect(toHex(sm2Sswu.mapToCurve(u0).toBytes(false))).toBe(t.Q0);
      expect(toHex(sm2Sswu.mapToCurve(u1).toBytes(false))).toBe(t.Q1);
      const h = ringScopePoint(scope);
      expect(toHex(h.toBytes(false))).toBe(t.point);
      expect(toHex(h.toBytes(true))).toBe(t.compressed);
    }
  });

  it('keys and key images', () => {
    for (const k of v.keys) expect(toHex(Point.BASE.multiply(big(k.secret)).toBytes(false))).toBe(k.publicKey);
    for (const t of v.keyImages) expect(toHex(ringKeyImage(v.keys[t.key]!.secret, fromHex(t.scope)))).toBe(t.I);
  });

  it('signatures: the nonce seed, the same bytes when signed again, and they verify', () => {
    const sizes = new Set<number>();
    for (const t of v.signatures) {
      const ring = ringOf(t.ring);
      const args = { message: fromHex(t.message), scope: fromHex(t.scope), ring };
      const seed = hashToScalar(utf8(RING_NONCE_DST), [Buffer.concat(ring), args.scope, args.message]);
      expect(seed).toBe(big(t.nonceSeed));
      const signature = ringSign({ ...args, signer: t.signer, privateKey: v.keys[t.ring[t.signer]!]!.secret });
      expect(toHex(signature)).toBe(t.signature);
      expect(ringVerify({ ...args, signature })).toBe(true);
      expect(toHex(signature.subarray(33, 65))).toBe(t.challenges[0]);
      expect(ringSignatureKeyImage(signature, ring.length)).toEqual(
        ringKeyImage(v.keys[t.ring[t.signer]!]!.secret, args.scope),
      );
      sizes.add(ring.length);
    }
    expect([...sizes].sort((a, b) => a - b)).toEqual([1, 4, 16]);
  });

  it('refusals: each changed field is invalid or refused as listed, and every field is covered', () => {
    for (const r of v.refusals) {
      const b = v.signatures[r.base]!;
      const args = {
        message: fromHex(r.message ?? b.message),
        scope: fromHex(r.scope ?? b.scope),
        ring: ringOf(r.ring ?? b.ring),
        signature: fromHex(r.signature ?? b.signature),
      };
      if (r.expect === 'invalid') expect([r.name, ringVerify(args)]).toEqual([r.name, false]);
      else expect(() => ringVerify(args)).toThrow(RangeError);
    }
    const fields = new Set(v.refusals.map((r) => r.field));
    for (const field of ['I', 'c_0', 's_0', 's_1', 's_2', 's_3', 'message', 'scope', 'ring order', 'ring size'])
      expect(fields).toContain(field);
    for (let i = 0; i < 4; i++) expect(fields).toContain(`ring[${i}]`);
  });
});
