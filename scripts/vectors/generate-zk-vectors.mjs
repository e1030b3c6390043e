#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// Known answers for docs/protocol.md §20 (commitments, membership, twisted ElGamal, validity and
// range proofs on SM2/SM3). The schemes are our own, so the vectors come from our implementation,
// with the provers' random scalars fixed by labels (crypto/src/testing/zk.ts). Checked by
// crypto/src/zk/zk-vectors.test.ts and, from the document alone, by
// scripts/vectors/check-zk-independent.py.
// Usage: node scripts/vectors/generate-zk-vectors.mjs [--check]   (after `npm run build`)
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeOrCheck } from './vector-file.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const zk = await import(join(root, 'crypto/dist/zk/index.js'));
const gens = await import(join(root, 'crypto/dist/zk/generators.js'));
const t = await import(join(root, 'crypto/dist/testing/index.js'));
const out = join(root, 'test/vectors/zk.json');

const N = 0xfffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54123n;
const P = 0xfffffffeffffffffffffffffffffffffffffffff00000000ffffffffffffffffn;
const enc = new TextEncoder();
const hex = (bytes) => Buffer.from(bytes).toString('hex');
const bytes = (h) => new Uint8Array(Buffer.from(h, 'hex'));
const scalarHex = (v) => v.toString(16).padStart(64, '0');
const compressed = (point) => hex(point.toBytes(true));

// ---- generators and the transcript ----------------------------------------------------------

const { g, h } = gens.vectorGenerators(4);
const generators = {
  dst: gens.ZK_GENERATORS_DST,
  H: compressed(gens.pedersenH().point),
  U: compressed(gens.ipaU().point),
  G_i: g.map((x) => compressed(x.point)),
  H_i: h.map((x) => compressed(x.point)),
};

const sample = new t.Transcript('range', enc.encode('study 7 / 2026-12-01'));
sample.append('A', Uint8Array.of(1, 2, 3));
const y = sample.challengeScalar('y');
sample.append('empty', new Uint8Array(0));
const w = sample.weights('w', 2);
const transcript = {
  protocol: 'range',
  context: hex(enc.encode('study 7 / 2026-12-01')),
  steps: [
    { append: 'A', data: '010203' },
    { challenge: 'y', bytes: 48, scalar: scalarHex(y) },
    { append: 'empty', data: '' },
    { weights: 'w', count: 2, values: w.map((x) => x.toString(16).padStart(32, '0')) },
  ],
  T: hex(sample.bytes()),
};

// ---- commitments and opening proofs ---------------------------------------------------------

const keywordTexts = [
  'I10',
  'E11.9',
  'I25.1',
  'J45',
  'C50',
  'N18.3',
  'E78.5',
  'I48',
  'G43',
  'M54.5',
  'K21',
  'F32',
  'L40',
  'H40',
  'D50',
  'A09',
];
const kw = (s) => enc.encode(s);
const keywords = keywordTexts.map((text) => ({ text, scalar: scalarHex(zk.keywordScalar(kw(text))) }));

const ctx = (s) => enc.encode(s);
const commitments = [
  { value: 130n, label: 'commitment 0' },
  { value: 0n, label: 'commitment 1' },
  { value: zk.keywordScalar(kw('I25.1')), label: 'commitment 2' },
  { value: zk.keywordScalar(kw('A09')), label: 'commitment 3' },
  { value: zk.keywordScalar(kw('I10')), label: 'commitment 4' },
].map(({ value, label }) => {
  const blinding = t.labelScalar(label, 0);
  return { value: scalarHex(value), blinding: scalarHex(blinding), C: hex(zk.commit(value, blinding).commitment) };
});
const commitmentOf = (i) => ({ commitment: bytes(commitments[i].C), blinding: BigInt(`0x${commitments[i].blinding}`) });

const openings = [0, 1].map((i) => {
  const { commitment, blinding } = commitmentOf(i);
  const value = BigInt(`0x${commitments[i].value}`);
  const context = ctx(`opening ${i}`);
  const proof = t.proveOpeningWith({ commitment, value, blinding, context }, t.labelScalars(`opening ${i}`));
  if (!zk.verifyOpening({ commitment, value, context, proof })) throw new Error('an opening vector does not verify');
  return { C: commitments[i].C, value: commitments[i].value, context: hex(context), proof: hex(proof) };
});

// ---- membership -------------------------------------------------------------------------------

const membershipCases = [
  { commitment: 4, set: [0], own: 'I10' },
  { commitment: 2, set: [0, 1, 2, 3], own: 'I25.1' },
  { commitment: 3, set: Array.from({ length: 16 }, (_, i) => i), own: 'A09' },
];
const memberships = membershipCases.map((c, i) => {
  const { commitment, blinding } = commitmentOf(c.commitment);
  const set = c.set.map((k) => kw(keywordTexts[k]));
  const context = ctx(`study 7 / join ${i}`);
  const proof = t.proveMembershipWith(
    { commitment, keywords: set, keyword: kw(c.own), blinding, context },
    t.labelScalars(`membership ${i}`),
  );
  if (!zk.verifyMembership({ commitment, keywords: set, context, proof })) throw new Error('a membership vector fails');
  return { C: hex(commitment), keywords: c.set.map((k) => keywordTexts[k]), context: hex(context), proof: hex(proof) };
});

// ---- twisted ElGamal and validity -----------------------------------------------------------

const keys = t.twistedKeyGenWith(t.labelScalars('elgamal key'));
const plaintexts = [120n, 95n, 0n, 2n ** 64n - 1n, 5000n];
const encryptions = plaintexts.map((value, i) => {
  const randomness = t.labelScalar('elgamal randomness', i);
  const { ciphertext } = zk.twistedEncrypt(keys.publicKey, value, randomness);
  return { value: value.toString(), randomness: scalarHex(randomness), ciphertext: hex(ciphertext) };
});
const ct = (i) => bytes(encryptions[i].ciphertext);
const opening = (i) => ({ value: BigInt(encryptions[i].value), randomness: BigInt(`0x${encryptions[i].randomness}`) });
const aggregate = zk.twistedAdd(ct(0), ct(1), ct(2));
const cancelling = zk.twistedAdd(
  zk.twistedEncrypt(keys.publicKey, 5n, 7n).ciphertext,
  zk.twistedEncrypt(keys.publicKey, 6n, N - 7n).ciphertext,
);
const elgamal = {
  secretKey: hex(keys.secretKey),
  publicKey: hex(keys.publicKey),
  encryptions,
  aggregates: [
    {
      of: [0, 1, 2],
      aggregate: hex(aggregate),
      bits: 16,
      decrypted: zk.twistedDecrypt(keys.secretKey, aggregate, 16).toString(),
    },
    {
      of: 'Enc(5; 7) + Enc(6; n − 7)',
      aggregate: hex(cancelling),
      bits: 16,
      decrypted: zk.twistedDecrypt(keys.secretKey, cancelling, 16).toString(),
    },
  ],
};

const validityCases = [[0], [0, 1, 2]];
const validity = validityCases.map((idx, i) => {
  const ciphertexts = idx.map(ct);
  const context = ctx(`study 7 / 2026-12-0${i + 1}`);
  const proof = t.proveValidWith(
    { publicKey: keys.publicKey, ciphertexts, openings: idx.map(opening), context },
    t.labelScalars(`validity ${i}`),
  );
  if (!zk.verifyValid({ publicKey: keys.publicKey, ciphertexts, context, proof }))
    throw new Error('a validity vector fails');
  return { publicKey: hex(keys.publicKey), ciphertexts: idx, context: hex(context), proof: hex(proof) };
});

// ---- range proofs -----------------------------------------------------------------------------

const rangeCases = [
  { cts: [0], ranges: [[100n, 355n]], bits: 8 },
  {
    cts: [0, 1],
    ranges: [
      [90n, 180n],
      [0n, 255n],
    ],
    bits: 8,
  },
  { cts: [4], ranges: [[1000n, 66535n]], bits: 16 },
  { cts: [3], ranges: [[0n, 2n ** 64n - 1n]], bits: 64 },
];
const ranges = rangeCases.map((c, i) => {
  const ciphertexts = c.cts.map(ct);
  const rs = c.ranges.map(([lo, hi]) => ({ lo, hi }));
  const context = ctx(`study 7 / 2026-12-0${i + 1}`);
  const proof = t.proveRangeWith(
    { publicKey: keys.publicKey, ciphertexts, openings: c.cts.map(opening), ranges: rs, bits: c.bits, context },
    t.labelScalars(`range ${i}`),
  );
  if (!zk.verifyRange({ publicKey: keys.publicKey, ciphertexts, ranges: rs, bits: c.bits, context, proof }))
    throw new Error('a range vector fails');
  return {
    publicKey: hex(keys.publicKey),
    ciphertexts: c.cts,
    ranges: c.ranges.map(([lo, hi]) => [lo.toString(), hi.toString()]),
    bits: c.bits,
    context: hex(context),
    proof: hex(proof),
  };
});

// ---- refusals ---------------------------------------------------------------------------------

const patch = (h0, offset, replacement) => {
  const copy = bytes(h0);
  copy.set(typeof replacement === 'string' ? bytes(replacement) : replacement, offset);
  return hex(copy);
};
const plusOne = (h0, offset) => {
  const v = (BigInt(`0x${h0.slice(2 * offset, 2 * offset + 64)}`) + 1n) % N;
  return patch(h0, offset, scalarHex(v));
};
const negate = (h0, offset) => patch(h0, offset, Uint8Array.of(bytes(h0)[offset] ^ 1));
// The first x ≥ 1 with no point: x³ + a·x + b is not a square mod p.
const { Point } = await import(join(root, 'crypto/dist/sm2/curve.js'));
let offX = 1n;
for (;;) {
  try {
    Point.fromBytes(bytes(`02${scalarHex(offX)}`));
    offX++;
  } catch {
    break;
  }
}
const noPoint = `02${scalarHex(offX)}`;
const invalid = (scheme, base, name, change) => ({ scheme, base, name, ...change, expect: 'invalid' });
const refused = (scheme, base, name, refusedBy, change) => ({
  scheme,
  base,
  name,
  ...change,
  expect: 'refused',
  refusedBy,
});

const op = openings[0].proof;
const mp = memberships[1].proof; // m = 4: A at 0…132, c at 132…228, z at 228…356
const vp = validity[1].proof;
const rp = ranges[1].proof; // k = 5: A S T1 T2 at 0…132, scalars 132…228, L/R 228…558, a 558, b 590
const shifted = hex(zk.twistedEncrypt(keys.publicKey, 200n, BigInt(`0x${encryptions[0].randomness}`)).ciphertext);
const refusals = [
  invalid('opening', 0, 'another value', { value: scalarHex(131n) }),
  invalid('opening', 0, 'another context', { context: hex(ctx('opening 1')) }),
  invalid('opening', 0, 'z + 1', { proof: plusOne(op, 33) }),
  invalid('opening', 0, 'A negated', { proof: negate(op, 0) }),
  refused('opening', 0, 'A with an x that has no point', 'point', { proof: patch(op, 0, noPoint) }),
  refused('opening', 0, 'z = n', 'scalar', { proof: patch(op, 33, scalarHex(N)) }),
  refused('opening', 0, 'proof one byte short', 'length', { proof: op.slice(0, -2) }),
  refused('opening', 0, 'commitment of 33 zero bytes (the identity has no encoding)', 'point', { C: '00'.repeat(33) }),
  refused('opening', 0, 'value = n', 'scalar', { value: scalarHex(N) }),
  invalid('membership', 1, 'a keyword of the set replaced (the committed one)', {
    keywords: ['I10', 'E11.9', 'C50', 'J45'],
  }),
  invalid('membership', 1, 'the set reordered', { keywords: ['E11.9', 'I10', 'I25.1', 'J45'] }),
  invalid('membership', 1, 'another commitment', { C: commitments[4].C }),
  invalid('membership', 1, 'another context', { context: hex(ctx('study 8 / join 1')) }),
  invalid('membership', 1, 'c_1 + 1', { proof: plusOne(mp, 132) }),
  invalid('membership', 1, 'z_4 + 1', { proof: plusOne(mp, 324) }),
  invalid('membership', 1, 'A_3 negated', { proof: negate(mp, 66) }),
  refused('membership', 1, 'A_1 with first byte 04', 'point', { proof: patch(mp, 0, '04') }),
  refused('membership', 1, 'z_2 = n', 'scalar', { proof: patch(mp, 260, scalarHex(N)) }),
  refused('membership', 1, 'proof one byte long', 'length', { proof: `${mp}00` }),
  refused('membership', 1, 'a repeated keyword', 'repeated keyword', { keywords: ['I10', 'E11.9', 'I25.1', 'I10'] }),
  refused('membership', 1, 'an empty set', 'set size', { keywords: [] }),
  invalid('validity', 1, 'ciphertexts 0 and 1 swapped', { ciphertexts: [1, 0, 2] }),
  invalid('validity', 1, 'a ciphertext replaced', { ciphertexts: [0, 1, 4] }),
  invalid('validity', 1, 'another public key', { publicKey: compressed(gens.pedersenH().point) }),
  invalid('validity', 1, 'another context', { context: hex(ctx('study 7 / 2026-12-01')) }),
  invalid('validity', 1, 'A_X negated', { proof: negate(vp, 0) }),
  invalid('validity', 1, 'z_v + 1', { proof: plusOne(vp, 66) }),
  invalid('validity', 1, 'z_r + 1', { proof: plusOne(vp, 98) }),
  refused('validity', 1, 'z_r = n', 'scalar', { proof: patch(vp, 98, scalarHex(N)) }),
  refused('validity', 1, 'A_Y with x = p', 'point', { proof: patch(vp, 34, scalarHex(P)) }),
  refused('validity', 1, 'proof one byte short', 'length', { proof: vp.slice(0, -2) }),
  refused('validity', 1, 'no ciphertexts', 'count', { ciphertexts: [] }),
  refused('validity', 1, 'a ciphertext whose Y is 33 zero bytes', 'point', {
    rawCiphertexts: [encryptions[0].ciphertext.slice(0, 66) + '00'.repeat(33)],
  }),
  invalid('range', 1, 'the same randomness with value 200 (out of range)', {
    rawCiphertexts: [shifted, encryptions[1].ciphertext],
  }),
  invalid('range', 1, 'a narrower range that excludes the value', {
    ranges: [
      ['121', '180'],
      ['0', '255'],
    ],
  }),
  invalid('range', 1, 'a wider range', {
    ranges: [
      ['90', '181'],
      ['0', '255'],
    ],
  }),
  invalid('range', 1, 'another context', { context: hex(ctx('study 7 / 2026-12-01')) }),
  invalid('range', 1, 'another public key', { publicKey: compressed(gens.pedersenH().point) }),
  invalid('range', 1, 'the ciphertexts and ranges in the other order', {
    ciphertexts: [1, 0],
    ranges: [
      ['0', '255'],
      ['90', '180'],
    ],
  }),
  invalid('range', 1, 'S negated', { proof: negate(rp, 33) }),
  invalid('range', 1, 'T2 negated', { proof: negate(rp, 99) }),
  invalid('range', 1, 'tau_x + 1', { proof: plusOne(rp, 132) }),
  invalid('range', 1, 't + 1', { proof: plusOne(rp, 196) }),
  invalid('range', 1, 'L_0 negated', { proof: negate(rp, 228) }),
  invalid('range', 1, 'R_4 negated', { proof: negate(rp, 228 + 9 * 33) }),
  invalid('range', 1, 'b + 1', { proof: plusOne(rp, 590) }),
  refused('range', 1, 'a = n', 'scalar', { proof: patch(rp, 558, scalarHex(N)) }),
  refused('range', 1, 'L_2 with an x that has no point', 'point', { proof: patch(rp, 228 + 4 * 33, noPoint) }),
  refused('range', 1, 'proof one byte short', 'length', { proof: rp.slice(0, -2) }),
  refused('range', 1, 'bits 12', 'bits', { bits: 12 }),
  refused('range', 1, 'bits 16 (another length)', 'length', { bits: 16 }),
  refused('range', 1, 'a range wider than 2^8', 'range', {
    ranges: [
      ['90', '346'],
      ['0', '255'],
    ],
  }),
  refused('range', 1, 'lo > hi', 'range', {
    ranges: [
      ['181', '180'],
      ['0', '255'],
    ],
  }),
  refused('range', 1, 'one range for two ciphertexts', 'range', { ranges: [['90', '180']] }),
  refused('range', 1, 'nine ciphertexts', 'count', {
    ciphertexts: [0, 1, 2, 0, 1, 2, 0, 1, 2],
    ranges: Array(9).fill(['0', '255']),
  }),
];

// Decryption refuses a plaintext beyond its bound.
const beyond = zk.twistedEncrypt(keys.publicKey, 2n ** 16n, 11n).ciphertext;
const decryptRefusals = [
  { name: 'plaintext 2^16 with the bound 2^16', ciphertext: hex(beyond), bits: 16, refusedBy: 'bound' },
  { name: 'plaintext 2^16 with the bound 2^17 (decrypts)', ciphertext: hex(beyond), bits: 17, decrypted: '65536' },
];

const vectors = {
  description:
    'docs/protocol.md §20: Pedersen commitments and opening proofs, keyword-set membership (CDS OR proof), twisted ElGamal with its validity proof, aggregated Bulletproofs range proofs; SM2/SM3. Provers’ scalars come from labels. Test keys only.',
  generators,
  transcript,
  keywords,
  commitments,
  openings,
  memberships,
  elgamal,
  validity,
  ranges,
  refusals,
  decryptRefusals,
  labels: {
    rule: 'x_i = OS2IP(SM3(utf8("medshare test vector: " ‖ label ‖ " " ‖ decimal(i)))) mod (n − 1) + 1',
    commitments: 'commitment j: blinding = x_0 of "commitment j"',
    provers: 'opening i, membership i, validity i, range i: the prover’s scalars in the order §20 draws them',
    elgamal: 'secret key = x_0 of "elgamal key"; encryption i: randomness = x_i of "elgamal randomness"',
    refusals:
      'each changes {scheme}[base] as named: ciphertexts are indices into elgamal.encryptions, rawCiphertexts hex',
  },
};

writeOrCheck(out, vectors);
