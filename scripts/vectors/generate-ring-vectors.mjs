#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// Known answers for docs/protocol.md §18 (linkable ring signatures on SM2/SM3). The scheme is our
// own, so the vectors come from our implementation; signing is deterministic (RFC 6979 nonces),
// so only the keys are fixed, derived from labels. crypto/src/ring/ring-vectors.test.ts checks
// them, and scripts/vectors/check-ring-independent.py re-derives them from the document alone.
// Usage: node scripts/vectors/generate-ring-vectors.mjs [--check]   (after `npm run build`)
import { createHash } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeOrCheck } from './vector-file.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const ring = await import(join(root, 'crypto/dist/ring/ring.js'));
const h2c = await import(join(root, 'crypto/dist/sm2/hash-to-curve.js'));
const h2f = await import(join(root, 'crypto/dist/sm2/hash-to-field.js'));
const { Point: G0 } = await import(join(root, 'crypto/dist/sm2/curve.js'));
const out = join(root, 'test/vectors/ring.json');

const N = 0xfffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54123n;
const P = 0xfffffffeffffffffffffffffffffffffffffffff00000000ffffffffffffffffn;
const enc = new TextEncoder();
const hex = (bytes) => Buffer.from(bytes).toString('hex');
const bytes = (h) => new Uint8Array(Buffer.from(h, 'hex'));
const scalarHex = (value) => value.toString(16).padStart(64, '0');
const label = (text) => new Uint8Array(createHash('sm3').update(`medshare test vector: ${text}`).digest());
const G = G0.BASE;

// RFC 9380 §K.1's messages and lengths, with SM3 in place of SHA-256.
const XMD_DST = 'QUUX-V01-CS02-with-expander-SM3-128';
const xmdMessages = ['', 'abc', 'abcdef0123456789', `q128_${'q'.repeat(128)}`, `a512_${'a'.repeat(512)}`];
const expandMessageXmd = [32, 48, 128].flatMap((lenInBytes) =>
  xmdMessages.map((msg) => ({
    dst: XMD_DST,
    msg,
    lenInBytes,
    uniformBytes: hex(h2f.expandMessageXmd(h2f.XMD_SM3, enc.encode(msg), enc.encode(XMD_DST), lenInBytes)),
  })),
);

const uncompressed = (point) => hex(point.toBytes(false));
const scopes = {
  A: enc.encode('medshare/v1/study/cardiology-2026'),
  B: enc.encode('medshare/v1/study/oncology-2026'),
  C: Uint8Array.of(0),
  D: label('a 32-byte scope'),
};
const dst = enc.encode(ring.RING_HASH_TO_CURVE_DST);
const hashToCurve = Object.entries(scopes).map(([name, scope]) => {
  const [u0, u1] = h2c.sm2Sswu.hashToField(scope, dst, 2);
  const point = ring.ringScopePoint(scope);
  const text = name === 'A' || name === 'B' ? { text: new TextDecoder().decode(scope) } : {};
  return {
    scope: hex(scope),
    ...text,
    u0: scalarHex(u0),
    u1: scalarHex(u1),
    Q0: uncompressed(h2c.sm2Sswu.mapToCurve(u0)),
    Q1: uncompressed(h2c.sm2Sswu.mapToCurve(u1)),
    point: uncompressed(point),
    compressed: hex(point.toBytes(true)),
  };
});

// Keys: x = OS2IP(SM3(label)) mod (n − 2) + 1, so 1 ≤ x ≤ n − 2 as §2 requires.
const keys = Array.from({ length: 16 }, (_, i) => {
  const x = (BigInt(`0x${hex(label(`ring key ${i}`))}`) % (N - 2n)) + 1n;
  return { secret: scalarHex(x), publicKey: hex(G.multiply(x).toBytes(false)) };
});
const member = (i) => bytes(keys[i].publicKey);

const keyImages = [0, 1, 2].flatMap((key) =>
  ['A', 'B', 'C'].map((s) => ({
    key,
    scope: hex(scopes[s]),
    I: hex(ring.ringKeyImage(keys[key].secret, scopes[s])),
  })),
);

const reversed16 = Array.from({ length: 16 }, (_, i) => 15 - i);
const cases = [
  { ring: [4], signer: 0, scope: 'A', message: 'contribution: one member' },
  { ring: [0, 1, 2, 3], signer: 0, scope: 'A', message: 'contribution 1' },
  { ring: [0, 1, 2, 3], signer: 2, scope: 'A', message: 'contribution 2' },
  { ring: [3, 0, 2, 1], signer: 3, scope: 'B', message: 'contribution 3' },
  { ring: reversed16, signer: 0, scope: 'A', message: 'contribution 4' },
  { ring: reversed16, signer: 7, scope: 'A', message: 'contribution 5' },
  { ring: reversed16, signer: 13, scope: 'A', message: 'withdraw contribution 2' },
  { ring: reversed16, signer: 15, scope: 'B', message: 'contribution 6' },
];

/** The challenges c_0 … c_{n−1} of a valid signature, recomputed as the verifier does (for debugging). */
function challengesOf(members, scope, message, signature) {
  const image = signature.subarray(0, 33);
  const H = ring.ringScopePoint(scope);
  const I = G0.fromBytes(image);
  const next = h2f.prefixedHashToScalar(enc.encode(ring.RING_CHALLENGE_DST), [
    Buffer.concat(members),
    scope,
    image,
    message,
  ]);
  let c = BigInt(`0x${hex(signature.subarray(33, 65))}`);
  const out = [];
  for (let i = 0; i < members.length; i++) {
    out.push(scalarHex(c));
    const s = BigInt(`0x${hex(signature.subarray(65 + 32 * i, 97 + 32 * i))}`);
    const P_i = G0.fromBytes(members[i]);
    const L = G.multiplyUnsafe(s).add(P_i.multiplyUnsafe(c));
    const R = H.multiplyUnsafe(s).add(I.multiplyUnsafe(c));
    c = next([L.toBytes(true), R.toBytes(true)]);
  }
  return out;
}

const signatures = cases.map((c) => {
  const members = c.ring.map(member);
  const scope = scopes[c.scope];
  const message = enc.encode(c.message);
  const signature = ring.ringSign({
    message,
    scope,
    ring: members,
    signer: c.signer,
    privateKey: keys[c.ring[c.signer]].secret,
  });
  if (!ring.ringVerify({ message, scope, ring: members, signature })) throw new Error('a vector does not verify');
  const nonceSeed = h2f.hashToScalar(enc.encode(ring.RING_NONCE_DST), [Buffer.concat(members), scope, message]);
  return {
    ring: c.ring,
    signer: c.signer,
    scope: hex(scope),
    message: hex(message),
    nonceSeed: scalarHex(nonceSeed),
    challenges: challengesOf(members, scope, message, signature),
    signature: hex(signature),
  };
});

// Refusals: named changes to signatures[BASE] (a ring of 4, signer 2).
const BASE = 2;
const base = signatures[BASE];
const baseSig = bytes(base.signature);
const patched = (offset, replacement) => {
  const copy = Uint8Array.from(baseSig);
  copy.set(replacement, offset);
  return hex(copy);
};
const plusOne = (offset) => {
  const v = (BigInt(`0x${hex(baseSig.subarray(offset, offset + 32))}`) + 1n) % N;
  return patched(offset, bytes(scalarHex(v)));
};
// The first x ≥ 1 with no point: x³ + a·x + b is not a square mod p.
let offX = 1n;
for (;;) {
  try {
    G0.fromBytes(bytes(`02${scalarHex(offX)}`));
    offX++;
  } catch {
    break;
  }
}
const offCurveMember = `04${keys[9].publicKey.slice(2, 66)}${scalarHex((BigInt(`0x${keys[9].publicKey.slice(66)}`) + 1n) % P)}`;
const otherImage = hex(ring.ringKeyImage(keys[9].secret, scopes.A));
const signerPublicCompressed = hex(G0.fromBytes(member(base.ring[base.signer])).toBytes(true));
const invalid = (name, field, change) => ({ name, field, base: BASE, ...change, expect: 'invalid' });
const refused = (name, field, refusedBy, change) => ({
  name,
  field,
  base: BASE,
  ...change,
  expect: 'refused',
  refusedBy,
});
const refusals = [
  invalid('key image of another key in the same scope', 'I', { signature: patched(0, bytes(otherImage)) }),
  invalid("key image replaced by the signer's compressed public key", 'I', {
    signature: patched(0, bytes(signerPublicCompressed)),
  }),
  invalid('key image with the other y (−I)', 'I', {
    signature: patched(0, Uint8Array.of(baseSig[0] ^ 1)),
  }),
  refused('key image with x = p', 'I', 'key image', { signature: patched(1, bytes(scalarHex(P))) }),
  refused('key image with an x that has no point', 'I', 'key image', {
    signature: patched(0, bytes(`02${scalarHex(offX)}`)),
  }),
  refused('key image with first byte 04', 'I', 'key image', { signature: patched(0, Uint8Array.of(4)) }),
  refused('key image of 33 zero bytes', 'I', 'key image', { signature: patched(0, new Uint8Array(33)) }),
  invalid('c_0 + 1', 'c_0', { signature: plusOne(33) }),
  refused('c_0 = 0', 'c_0', 'c_0', { signature: patched(33, new Uint8Array(32)) }),
  refused('c_0 = n', 'c_0', 'c_0', { signature: patched(33, bytes(scalarHex(N))) }),
  ...[0, 1, 2, 3].map((i) => invalid(`s_${i} + 1`, `s_${i}`, { signature: plusOne(65 + 32 * i) })),
  refused('s_1 = n', 's_1', 's_i', { signature: patched(65 + 32, bytes(scalarHex(N))) }),
  refused('s_3 = 2^256 − 1', 's_3', 's_i', { signature: patched(65 + 96, new Uint8Array(32).fill(0xff)) }),
  invalid('another message', 'message', { message: hex(enc.encode('contribution 2.')) }),
  invalid('another scope', 'scope', { scope: hex(scopes.B) }),
  refused('empty scope', 'scope', 'scope', { scope: '' }),
  ...[0, 1, 2, 3].map((i) =>
    invalid(`ring member ${i} replaced by key 9${i === base.signer ? " (the signer's key)" : ''}`, `ring[${i}]`, {
      ring: base.ring.map((k, j) => (j === i ? 9 : k)),
    }),
  ),
  invalid('ring members 0 and 1 swapped', 'ring order', { ring: [base.ring[1], base.ring[0], ...base.ring.slice(2)] }),
  invalid('ring rotated by one', 'ring order', { ring: [...base.ring.slice(1), base.ring[0]] }),
  refused('ring member 1 off the curve (y + 1)', 'ring[1]', 'ring member', {
    ring: base.ring.map((k, j) => (j === 1 ? offCurveMember : k)),
  }),
  refused('ring member 3 compressed (33 bytes)', 'ring[3]', 'ring member', {
    ring: base.ring.map((k, j) => (j === 3 ? hex(G0.fromBytes(member(k)).toBytes(true)) : k)),
  }),
  refused('ring without its last member', 'ring size', 'signature length', { ring: base.ring.slice(0, 3) }),
  refused('ring with a fifth member', 'ring size', 'signature length', { ring: [...base.ring, 9] }),
  invalid('ring and signature without the last member', 'ring size', {
    ring: base.ring.slice(0, 3),
    signature: hex(baseSig.subarray(0, baseSig.length - 32)),
  }),
  refused('empty ring', 'ring size', 'ring size', { ring: [] }),
  refused('signature one byte short', 'signature', 'signature length', {
    signature: hex(baseSig.subarray(0, baseSig.length - 1)),
  }),
  refused('signature one byte long', 'signature', 'signature length', { signature: `${base.signature}00` }),
];

const vectors = {
  description:
    'docs/protocol.md §18: linkable ring signatures (bLSAG on SM2/SM3, key image x·Hp(scope)). Signing is deterministic; the keys come from labels. Test keys only.',
  suite: {
    id: 'SM2_XMD:SM3_SSWU_RO_',
    Z: '-9',
    L: 48,
    hashToCurveDst: ring.RING_HASH_TO_CURVE_DST,
    challengeDst: ring.RING_CHALLENGE_DST,
    nonceDst: ring.RING_NONCE_DST,
  },
  expandMessageXmd,
  hashToCurve,
  keys,
  keyImages,
  signatures,
  refusals,
  labels: {
    keys: 'key i: x = OS2IP(SM3(utf8("medshare test vector: ring key " ‖ decimal(i)))) mod (n − 2) + 1',
    scopeD: 'SM3(utf8("medshare test vector: a 32-byte scope"))',
    refusalBase: 'each refusal changes signatures[base] as named; ring entries are key indices or raw member hex',
  },
};

writeOrCheck(out, vectors);
