// SPDX-License-Identifier: Apache-2.0
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sm3 } from '../sm3';
import { Point } from '../sm2/curve';
import { chunkLength, cryptChunk, fileKeys, fileLayout, keyCheck, leafHash, treeRoot } from '../chunked-file';
import {
  U,
  decapsulate,
  decapsulateFragments,
  decodeCapsule,
  decodeCapsuleFragment,
  decodeKeyFragment,
  encapsulateWith,
  encodeCapsule,
  encodeCapsuleFragment,
  encodeKeyFragment,
  generateKeyFragmentsWith,
  reEncryptWith,
  verifyCapsuleFragment,
  verifyKeyFragment,
} from './tpre';

interface Vectors {
  U: string;
  delegating: { secret: string; publicKey: string };
  receiver: { secret: string; publicKey: string };
  context: string;
  encapsulate: { r: string; u: string; capsule: string; key: string };
  keyFragments: {
    threshold: number;
    shares: number;
    precursor: string;
    coefficients: string[];
    ids: string[];
    signing: string[];
    fragments: string[];
  };
  reEncrypt: { tau: string[]; fragments: string[] };
  open: { using: number[]; key: string };
  refusals: Array<{
    name: string;
    refusedBy: string;
    capsule?: string;
    cfrag?: string;
    context?: string;
    receiver?: string;
    open?: number[];
    with?: string;
  }>;
  file: {
    size: number;
    chunkBytes: number;
    plaintextSm3: string;
    chunksSm3: string[];
    leaves: string[];
    root: string;
    keyCheck: string;
  };
}

const v = JSON.parse(readFileSync(join(__dirname, '../../../test/vectors/tpre.json'), 'utf8')) as Vectors;
const bytes = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, 'hex'));
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const big = (h: string): bigint => BigInt(`0x${h}`);
const delegating = { secret: big(v.delegating.secret), publicKey: Point.fromHex(v.delegating.publicKey) };
const receiver = { secret: big(v.receiver.secret), publicKey: Point.fromHex(v.receiver.publicKey) };
const context = bytes(v.context);
const capsule = decodeCapsule(bytes(v.encapsulate.capsule));
const cfrags = v.reEncrypt.fragments.map((f) => decodeCapsuleFragment(bytes(f)));

/** Field layout of a capsule fragment (docs/protocol.md §15), for the per-field tamper test. */
const CFRAG_FIELDS: ReadonlyArray<readonly [string, number, number]> = [
  ['E1', 0, 33],
  ['V1', 33, 66],
  ['id', 66, 98],
  ['X_A', 98, 131],
  ['E2', 131, 164],
  ['V2', 164, 197],
  ['U2', 197, 230],
  ['U1', 230, 263],
  ['z1', 263, 295],
  ['z2', 295, 327],
  ['z3', 327, 359],
];

describe('threshold PRE and chunked-file vectors (test/vectors/tpre.json)', () => {
  it('reproduces U, the public keys, the capsule and its key', () => {
    expect(hex(U.toBytes(true))).toBe(v.U);
    expect(hex(Point.BASE.multiply(delegating.secret).toBytes(true))).toBe(v.delegating.publicKey);
    const { capsule: made, key } = encapsulateWith(delegating.publicKey, {
      r: big(v.encapsulate.r),
      u: big(v.encapsulate.u),
    });
    expect(hex(encodeCapsule(made))).toBe(v.encapsulate.capsule);
    expect(hex(key)).toBe(v.encapsulate.key);
    expect(hex(decapsulate(delegating.secret, capsule))).toBe(v.encapsulate.key);
  });

  it('reproduces the key fragments and the capsule fragments byte for byte', () => {
    const k = v.keyFragments;
    const kfrags = generateKeyFragmentsWith(delegating, receiver.publicKey, k.threshold, k.shares, {
      precursor: big(k.precursor),
      coefficients: k.coefficients.map(big),
      ids: k.ids.map(bytes),
      signing: k.signing.map(big),
    });
    expect(kfrags.map((f) => hex(encodeKeyFragment(f)))).toEqual(k.fragments);
    for (const f of k.fragments)
      expect(verifyKeyFragment(decodeKeyFragment(bytes(f)), delegating.publicKey, receiver.publicKey)).toBe(true);
    const made = kfrags.map((f, i) => reEncryptWith(f, capsule, context, big(v.reEncrypt.tau[i]!)));
    expect(made.map((c) => hex(encodeCapsuleFragment(c)))).toEqual(v.reEncrypt.fragments);
  });

  it('verifies every capsule fragment and opens the key from the listed pair and every other pair', () => {
    for (const c of cfrags)
      expect(verifyCapsuleFragment(c, capsule, delegating.publicKey, receiver.publicKey, context)).toBe(true);
    const using = v.open.using.map((i) => cfrags[i]!);
    expect(hex(decapsulateFragments(receiver, delegating.publicKey, capsule, using, 2, context))).toBe(v.open.key);
    expect(
      hex(decapsulateFragments(receiver, delegating.publicKey, capsule, [cfrags[0]!, cfrags[1]!], 2, context)),
    ).toBe(v.open.key);
    expect(() => decapsulateFragments(receiver, delegating.publicKey, capsule, [cfrags[1]!], 2, context)).toThrow(
      RangeError,
    );
  });

  it.each(CFRAG_FIELDS)('refuses the vector fragment with its %s field changed', (_name, from, to) => {
    const original = bytes(v.reEncrypt.fragments[0]!);
    for (const at of [from, to - 1]) {
      const tampered = original.slice();
      tampered[at] = (tampered[at] ?? 0) ^ 0x04;
      let accepted: boolean;
      try {
        accepted = verifyCapsuleFragment(
          decodeCapsuleFragment(tampered),
          capsule,
          delegating.publicKey,
          receiver.publicKey,
          context,
        );
      } catch (error) {
        expect(error).toBeInstanceOf(RangeError);
        accepted = false;
      }
      expect(accepted).toBe(false);
    }
  });

  it.each(v.refusals.map((r) => [r.name, r] as const))('refuses the listed case: %s', (_name, r) => {
    if (r.capsule !== undefined) {
      expect(() => decodeCapsule(bytes(r.capsule!))).toThrow(RangeError);
    } else if (r.cfrag !== undefined) {
      const who = r.receiver === undefined ? receiver.publicKey : Point.fromHex(r.receiver);
      const ctx = r.context === undefined ? context : bytes(r.context);
      expect(
        verifyCapsuleFragment(decodeCapsuleFragment(bytes(r.cfrag)), capsule, delegating.publicKey, who, ctx),
      ).toBe(false);
    } else {
      const set = [
        ...r.open!.map((i) => cfrags[i]!),
        ...(r.with === undefined ? [] : [decodeCapsuleFragment(bytes(r.with))]),
      ];
      expect(() => decapsulateFragments(receiver, delegating.publicKey, capsule, set, 2, context)).toThrow(RangeError);
    }
  });

  it('reproduces the chunked file: chunks, leaves, root and key check', () => {
    const f = v.file;
    const plaintext = new Uint8Array(f.size);
    const blocks = new Map<number, Uint8Array>();
    for (let i = 0; i < f.size; i++) {
      const block = i >> 5;
      if (!blocks.has(block))
        blocks.set(block, sm3(new TextEncoder().encode(`medshare test vector: file byte block ${block}`)));
      plaintext[i] = blocks.get(block)![i & 31]!;
    }
    expect(hex(sm3(plaintext))).toBe(f.plaintextSm3);
    const layout = fileLayout(f.size, f.chunkBytes);
    const { encryption, check } = fileKeys(bytes(v.encapsulate.key));
    const leaves: Uint8Array[] = [];
    for (let i = 0; i < layout.chunks; i++) {
      const c = cryptChunk(
        encryption,
        i,
        plaintext.subarray(i * f.chunkBytes, i * f.chunkBytes + chunkLength(layout, i)),
      );
      expect(hex(sm3(c))).toBe(f.chunksSm3[i]);
      leaves.push(leafHash(i, i === layout.chunks - 1, c));
    }
    expect(leaves.map(hex)).toEqual(f.leaves);
    expect(hex(treeRoot(leaves))).toBe(f.root);
    expect(hex(keyCheck(check, bytes(f.root)))).toBe(f.keyCheck);
  });
});
