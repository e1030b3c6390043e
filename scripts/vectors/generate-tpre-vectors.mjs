#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// Known answers for docs/protocol.md §15 (threshold proxy re-encryption) and §16 (chunked files).
// These are schemes of our own, so the vectors come from our implementation with every random
// input fixed (SM3 of public labels); protocol/src/tpre/tpre-vectors.test.ts checks them, and an
// implementation written from the document alone is expected to reproduce them.
// Usage: node scripts/vectors/generate-tpre-vectors.mjs [--check]   (after `npm run build`)
import { createHash } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeOrCheck } from './vector-file.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const tpre = await import(join(root, 'crypto/dist/tpre/tpre.js'));
const files = await import(join(root, 'crypto/dist/chunked-file.js'));
const out = join(root, 'test/vectors/tpre.json');

const N = 0xfffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54123n;
const labels = {};
const label = (text) => new Uint8Array(createHash('sm3').update(`medshare test vector: ${text}`).digest());
const hex = (bytes) => Buffer.from(bytes).toString('hex');
const scalar = (text) => {
  labels[text] = 'scalar';
  return (BigInt(`0x${hex(label(text))}`) % (N - 1n)) + 1n;
};
const idOf = (text) => {
  labels[text] = 'id';
  return label(text);
};
const scalarHex = (value) => value.toString(16).padStart(64, '0');
const point = (p) => hex(p.toBytes(true));

const G = tpre.U.constructor.BASE;
const delegating = { secret: scalar('tpre delegating'), publicKey: G.multiply(scalar('tpre delegating')) };
const receiver = { secret: scalar('tpre receiver'), publicKey: G.multiply(scalar('tpre receiver')) };
const context = new TextEncoder().encode('medshare/v1/files/grant test');

const encNonces = { r: scalar('tpre r'), u: scalar('tpre u') };
const { capsule, key } = tpre.encapsulateWith(delegating.publicKey, encNonces);
const threshold = 2;
const shares = 3;
const kfNonces = {
  precursor: scalar('tpre precursor'),
  coefficients: [scalar('tpre coefficient 1')],
  ids: [0, 1, 2].map((i) => idOf(`tpre id ${i}`)),
  signing: [0, 1, 2].map((i) => scalar(`tpre signing ${i}`)),
};
const kfrags = tpre.generateKeyFragmentsWith(delegating, receiver.publicKey, threshold, shares, kfNonces);
const taus = [0, 1, 2].map((i) => scalar(`tpre tau ${i}`));
const cfrags = kfrags.map((k, i) => tpre.reEncryptWith(k, capsule, context, taus[i]));
const opened = tpre.decapsulateFragments(
  receiver,
  delegating.publicKey,
  capsule,
  [cfrags[2], cfrags[0]],
  threshold,
  context,
);
if (hex(opened) !== hex(key)) throw new Error('the fragments do not open the capsule');

// §16: a 3-chunk file (4 KiB chunks, 9000 bytes) under the capsule's key.
const chunkBytes = 4096;
const plaintext = Buffer.alloc(9000);
for (let i = 0; i < plaintext.length; i++) plaintext[i] = label(`file byte block ${i >> 5}`)[i & 31];
const layout = files.fileLayout(plaintext.length, chunkBytes);
const { encryption, check } = files.fileKeys(key);
const chunks = [];
const leaves = [];
for (let i = 0; i < layout.chunks; i++) {
  const part = plaintext.subarray(i * chunkBytes, i * chunkBytes + files.chunkLength(layout, i));
  const ciphertext = files.cryptChunk(encryption, i, part);
  chunks.push(ciphertext);
  leaves.push(files.leafHash(i, i === layout.chunks - 1, ciphertext));
}
const fileRoot = files.treeRoot(leaves);

// What must be refused, each with the check that refuses it (docs/protocol.md §15).
const capsuleBytes = tpre.encodeCapsule(capsule);
const withByte = (bytes, at, xor) => {
  const copy = Uint8Array.from(bytes);
  copy[at] ^= xor;
  return copy;
};
const P = 0xfffffffeffffffffffffffffffffffffffffffff00000000ffffffffffffffffn;
const sIsN = Uint8Array.from(capsuleBytes);
sIsN.set(Buffer.from(N.toString(16).padStart(64, '0'), 'hex'), 66);
const eHex = point(capsule.e);
const minusE = (eHex.startsWith('02') ? '03' : '02') + eHex.slice(2);
const otherDelegation = tpre.generateKeyFragmentsWith(delegating, receiver.publicKey, threshold, shares, {
  precursor: scalar('tpre other precursor'),
  coefficients: [scalar('tpre other coefficient 1')],
  ids: [0, 1, 2].map((i) => idOf(`tpre other id ${i}`)),
  signing: [0, 1, 2].map((i) => scalar(`tpre other signing ${i}`)),
});
const otherCfrag = tpre.reEncryptWith(otherDelegation[1], capsule, context, scalar('tpre other tau 1'));
const stranger = G.multiply(scalar('tpre stranger'));
const cf = cfrags.map((c) => hex(tpre.encodeCapsuleFragment(c)));
const refusals = [
  { name: 'capsule with s changed', capsule: hex(withByte(capsuleBytes, 97, 1)), refusedBy: 's·G = V + h·E' },
  { name: 'capsule with s = n (s out of range)', capsule: hex(sIsN), refusedBy: 's < n' },
  { name: 'capsule with V = −E', capsule: eHex + minusE + '00'.repeat(32), refusedBy: 'E + V is not the identity' },
  {
    name: 'capsule with E having x = p',
    capsule: '02' + P.toString(16) + hex(capsuleBytes.subarray(33)),
    refusedBy: 'x < p',
  },
  {
    name: 'capsule fragment under another context',
    cfrag: cf[0],
    context: hex(new TextEncoder().encode('another context')),
    refusedBy: 'z3·E = E2 + h·E1',
  },
  {
    name: 'capsule fragment for another receiver',
    cfrag: cf[0],
    receiver: point(stranger),
    refusedBy: 'signature check',
  },
  { name: 'open with t − 1 fragments', open: [0], refusedBy: 'm ≥ t' },
  {
    name: 'open with fragments of two delegations',
    open: [0],
    with: hex(tpre.encodeCapsuleFragment(otherCfrag)),
    refusedBy: 'same X_A',
  },
  { name: 'open with a fragment twice', open: [1, 1], refusedBy: 'distinct id' },
];
for (const r of refusals)
  if (r.capsule) {
    let ok = true;
    try {
      tpre.decodeCapsule(Buffer.from(r.capsule, 'hex'));
    } catch {
      ok = false;
    }
    if (ok) throw new Error(`refusal not refused: ${r.name}`);
  }

const vectors = {
  description:
    'docs/protocol.md §15 and §16. Every random input is fixed and derived from a label (see labels). Test keys only.',
  U: point(tpre.U),
  delegating: { secret: scalarHex(delegating.secret), publicKey: point(delegating.publicKey) },
  receiver: { secret: scalarHex(receiver.secret), publicKey: point(receiver.publicKey) },
  context: hex(context),
  encapsulate: {
    r: scalarHex(encNonces.r),
    u: scalarHex(encNonces.u),
    capsule: hex(tpre.encodeCapsule(capsule)),
    key: hex(key),
  },
  keyFragments: {
    threshold,
    shares,
    precursor: scalarHex(kfNonces.precursor),
    coefficients: kfNonces.coefficients.map(scalarHex),
    ids: kfNonces.ids.map(hex),
    signing: kfNonces.signing.map(scalarHex),
    fragments: kfrags.map((k) => hex(tpre.encodeKeyFragment(k))),
  },
  reEncrypt: { tau: taus.map(scalarHex), fragments: cfrags.map((c) => hex(tpre.encodeCapsuleFragment(c))) },
  open: { using: [2, 0], key: hex(opened) },
  refusals,
  labels: Object.fromEntries(
    Object.entries(labels).map(([text, kind]) => [
      text,
      kind === 'scalar'
        ? 'OS2IP(SM3(utf8("medshare test vector: " ‖ label))) mod (n−1) + 1'
        : 'SM3(utf8("medshare test vector: " ‖ label))',
    ]),
  ),
  file: {
    size: plaintext.length,
    chunkBytes,
    plaintextSm3: hex(createHash('sm3').update(plaintext).digest()),
    plaintextRule: 'byte i = SM3("medshare test vector: file byte block " ‖ decimal(i >> 5))[i & 31]',
    chunksSm3: chunks.map((c) => hex(createHash('sm3').update(c).digest())),
    leaves: leaves.map(hex),
    root: hex(fileRoot),
    keyCheck: hex(files.keyCheck(check, fileRoot)),
  },
};

writeOrCheck(out, vectors);
