#!/usr/bin/env node
// Known answers for docs/protocol.md §15 (threshold proxy re-encryption) and §16 (chunked files).
// These are schemes of our own, so the vectors come from our implementation with every random
// input fixed (SM3 of public labels); protocol/src/tpre/tpre-vectors.test.ts checks them, and an
// implementation written from the document alone is expected to reproduce them.
// Usage: node scripts/vectors/generate-tpre-vectors.mjs [--check]   (after `npm run build`)
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const tpre = await import(join(root, 'protocol/dist/tpre/tpre.js'));
const files = await import(join(root, 'protocol/dist/files/chunked.js'));
const out = join(root, 'test/vectors/tpre.json');

const N = 0xfffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54123n;
const label = (text) => new Uint8Array(createHash('sm3').update(`medshare test vector: ${text}`).digest());
const hex = (bytes) => Buffer.from(bytes).toString('hex');
const scalar = (text) => (BigInt(`0x${hex(label(text))}`) % (N - 1n)) + 1n;
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
  ids: [0, 1, 2].map((i) => label(`tpre id ${i}`)),
  signing: [0, 1, 2].map((i) => scalar(`tpre signing ${i}`)),
};
const kfrags = tpre.generateKeyFragmentsWith(delegating, receiver.publicKey, threshold, shares, kfNonces);
const taus = [0, 1, 2].map((i) => scalar(`tpre tau ${i}`));
const cfrags = kfrags.map((k, i) => tpre.reEncryptWith(k, capsule, context, taus[i]));
const opened = tpre.decapsulateFragments(receiver, delegating.publicKey, capsule, [cfrags[2], cfrags[0]], threshold, context);
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

const vectors = {
  description:
    'docs/protocol.md §15 and §16. Random inputs are fixed: scalars are OS2IP(SM3("medshare test vector: " ‖ label)) mod (n−1) + 1, ids SM3 of a label. Test keys only.',
  U: point(tpre.U),
  delegating: { secret: scalarHex(delegating.secret), publicKey: point(delegating.publicKey) },
  receiver: { secret: scalarHex(receiver.secret), publicKey: point(receiver.publicKey) },
  context: hex(context),
  encapsulate: { r: scalarHex(encNonces.r), u: scalarHex(encNonces.u), capsule: hex(tpre.encodeCapsule(capsule)), key: hex(key) },
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

const text = `${JSON.stringify(vectors, null, 2)}\n`;
if (process.argv.includes('--check')) {
  if (readFileSync(out, 'utf8') !== text) {
    console.error(`${out} differs from what the generator computes`);
    process.exit(1);
  }
  console.log(`${out} is up to date`);
} else {
  writeFileSync(out, text);
  console.log(`wrote ${out}`);
}
