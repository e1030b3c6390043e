#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
/**
 * Generates test/vectors/protocol.json: known answers for the medshare wire protocol
 * (docs/protocol.md), computed WITHOUT medshare's own code so that the vectors check it
 * rather than echo it. The independent sources are:
 *
 *  - `canonicalize` (npm, an RFC 8785 implementation) for JCS;
 *  - `sm-crypto` (npm, pure-JS SM2 on jsbn) for SM2 keys, signatures and encryption;
 *  - `node:crypto` (Node's bundled OpenSSL) for SM3, HMAC-SM3, SM4-CTR and scrypt;
 *  - the `openssl` CLI (the system's OpenSSL, a separate build) to cross-check SM3, the
 *    sealed box's SM4-CTR and HMAC-SM3, the PEM encodings and the SM2 signature.
 *
 * Every input is fixed (keys and nonces derived from labels with SM3), so running the script
 * twice writes identical bytes. The keys are test keys: never use them for anything else.
 *
 * Usage (from the repository root): node scripts/vectors/generate-protocol-vectors.mjs [--check]
 * With --check it compares against the committed file instead of writing it.
 */
import { execFileSync } from 'node:child_process';
import { createCipheriv, createHash, createHmac, scryptSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeOrCheck } from './vector-file.mjs';

const require = createRequire(import.meta.url);
const canonicalize = require('canonicalize');
const { sm2, sm3: smCryptoSm3 } = require('sm-crypto');
// sm-crypto's own big-integer library and helpers (same module instances sm2 uses).
const requireFromSmCrypto = createRequire(require.resolve('sm-crypto'));
const { BigInteger } = requireFromSmCrypto('jsbn');
const smUtils = requireFromSmCrypto('./sm2/utils');

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const OUT = join(ROOT, 'test', 'vectors', 'protocol.json');

// ---- primitives (node:crypto only) ---------------------------------------------------------

const N = BigInt('0xfffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54123');
const CURVE_A = 'fffffffeffffffffffffffffffffffffffffffff00000000fffffffffffffffc';
const CURVE_B = '28e9fa9e9d9f5e344d5a9e4bcf6509a7f39789f515ab8f92ddbcbd414d940e93';
const GX = '32c4ae2c1f1981195f9904466a39c9948fe30bbff2660be1715a4589334c74c7';
const GY = 'bc3736a2f4f6779c59bdcee36b692153d0a9877cc62a474002df32e52139f0a0';

const hex = (buf) => Buffer.from(buf).toString('hex');
const utf8 = (text) => Buffer.from(text, 'utf8');
const sm3 = (...parts) => {
  const h = createHash('sm3');
  for (const p of parts) h.update(p);
  return h.digest();
};
const hmacSm3 = (key, ...parts) => {
  const m = createHmac('sm3', key);
  for (const p of parts) m.update(p);
  return m.digest();
};
const sm4Ctr = (key16, iv16, data) => {
  const c = createCipheriv('sm4-ctr', key16, iv16);
  return Buffer.concat([c.update(data), c.final()]);
};
const u64be = (n) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(n));
  return b;
};
const toBig = (buf) => BigInt(`0x${hex(buf)}`);
const scalar32 = (big) => Buffer.from(big.toString(16).padStart(64, '0'), 'hex');

function check(condition, what) {
  if (!condition) throw new Error(`self-check failed: ${what}`);
}

/** A scalar in [1, n−2] derived from a label: SM3(label), must land in range (it does for ours). */
function scalarFromLabel(label) {
  const d = toBig(sm3(utf8(label)));
  check(d >= 1n && d <= N - 2n, `${label} gives a scalar in [1, n-2]`);
  return d;
}

// ---- the openssl CLI ------------------------------------------------------------------------

function openssl(args, files = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'medshare-vectors-'));
  try {
    for (const [name, data] of Object.entries(files)) writeFileSync(join(dir, name), data);
    return execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---- minimal DER, for the PEM cross-checks -----------------------------------------------------

const derLen = (n) =>
  n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff]);
const tlv = (tag, body) => Buffer.concat([Buffer.from([tag]), derLen(body.length), body]);
const derInt = (buf) => {
  let i = 0;
  while (i < buf.length - 1 && buf[i] === 0) i++;
  let body = buf.subarray(i);
  if (body[0] & 0x80) body = Buffer.concat([Buffer.from([0]), body]);
  return tlv(0x02, body);
};
const ALGORITHM = tlv(0x30, Buffer.from('06072a8648ce3d020106082a811ccf5501822d', 'hex'));
const pem = (label, der) => {
  const b64 = der
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .trimEnd();
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
};
const spkiPem = (pubHex) =>
  pem(
    'PUBLIC KEY',
    tlv(0x30, Buffer.concat([ALGORITHM, tlv(0x03, Buffer.concat([Buffer.from([0]), Buffer.from(pubHex, 'hex')]))])),
  );
const pkcs8Pem = (privHex, pubHex) => {
  const ecPrivateKey = tlv(
    0x30,
    Buffer.concat([
      Buffer.from('020101', 'hex'),
      tlv(0x04, Buffer.from(privHex, 'hex')),
      tlv(0xa1, tlv(0x03, Buffer.concat([Buffer.from([0]), Buffer.from(pubHex, 'hex')]))),
    ]),
  );
  return pem(
    'PRIVATE KEY',
    tlv(0x30, Buffer.concat([Buffer.from('020100', 'hex'), ALGORITHM, tlv(0x04, ecPrivateKey)])),
  );
};

// ---- SM2 helpers (sm-crypto for the curve arithmetic) ----------------------------------------

function keyPair(label) {
  const privateKey = scalar32(scalarFromLabel(label)).toString('hex');
  const publicKey = sm2.getPublicKeyFromPrivateKey(privateKey);
  check(
    publicKey.length === 130 && publicKey.startsWith('04') && sm2.verifyPublicKey(publicKey),
    `${label} public key`,
  );
  return { privateKey, publicKey };
}

/** Z_A with the default identity, and e = SM3(Z_A ‖ M), both with node:crypto's SM3. */
function digestE(publicKey, message) {
  const id = utf8('1234567812345678');
  const entl = Buffer.from([(id.length * 8) >> 8, (id.length * 8) & 0xff]);
  const z = sm3(entl, id, Buffer.from(CURVE_A + CURVE_B + GX + GY, 'hex'), Buffer.from(publicKey.slice(2), 'hex'));
  return { zA: z, e: sm3(z, message) };
}

/** An SM2 signature by sm-crypto with a caller-chosen k (through its pointPool option). */
function smCryptoSign(pair, message, k) {
  const kHex = scalar32(k).toString('hex');
  const point = sm2.getPublicKeyFromPrivateKey(kHex); // [k]G, 04 ‖ x ‖ y
  const pool = [{ k: new BigInteger(kHex, 16), x1: new BigInteger(point.slice(2, 66), 16) }];
  const signature = sm2.doSignature(Array.from(message), pair.privateKey, {
    hash: true,
    der: false,
    publicKey: pair.publicKey,
    pointPool: pool,
  });
  check(pool.length === 0, 'sm-crypto used the supplied k');
  check(/^[0-9a-f]{128}$/.test(signature), 'signature is 64-byte r ‖ s hex');
  check(
    sm2.doVerifySignature(Array.from(message), signature, pair.publicKey, { hash: true, der: false }),
    'sm-crypto verifies its signature',
  );
  return signature;
}

/** The openssl CLI verifies a raw r ‖ s signature (converted to DER) with the default distinguishing id. */
function opensslVerify(publicKey, message, signature) {
  const der = tlv(
    0x30,
    Buffer.concat([
      derInt(Buffer.from(signature.slice(0, 64), 'hex')),
      derInt(Buffer.from(signature.slice(64), 'hex')),
    ]),
  );
  const out = openssl(
    [
      'pkeyutl',
      '-verify',
      '-pubin',
      '-inkey',
      'pub.pem',
      '-rawin',
      '-digest',
      'sm3',
      '-pkeyopt',
      'distid:1234567812345678',
      '-in',
      'msg.bin',
      '-sigfile',
      'sig.der',
    ],
    { 'pub.pem': spkiPem(publicKey), 'msg.bin': message, 'sig.der': der },
  ).toString();
  check(/Signature Verified Successfully/.test(out), 'openssl verifies the signature');
}

/** RFC 6979 §3.2 with HMAC-SM3 (qlen = hlen = 256 bits), first candidate in [1, n−1]. */
function rfc6979K(d, e) {
  const x = scalar32(d);
  const h1 = scalar32(toBig(e) % N);
  let v = Buffer.alloc(32, 0x01);
  let k = Buffer.alloc(32, 0x00);
  k = hmacSm3(k, v, Buffer.from([0x00]), x, h1);
  v = hmacSm3(k, v);
  k = hmacSm3(k, v, Buffer.from([0x01]), x, h1);
  v = hmacSm3(k, v);
  for (;;) {
    v = hmacSm3(k, v);
    const candidate = toBig(v);
    if (candidate >= 1n && candidate < N) return candidate;
    k = hmacSm3(k, v, Buffer.from([0x00]));
    v = hmacSm3(k, v);
  }
}

/** An SM2 encryption by sm-crypto (C1 ‖ C3 ‖ C2 without the 04 of C1) with a caller-chosen ephemeral k. */
function smCryptoEncrypt(publicKey, plaintext, k) {
  const kHex = scalar32(k).toString('hex');
  const original = smUtils.generateKeyPairHex;
  // doEncrypt draws its ephemeral key from this function; fix it for one call.
  smUtils.generateKeyPairHex = () => ({ privateKey: kHex, publicKey: sm2.getPublicKeyFromPrivateKey(kHex) });
  try {
    return sm2.doEncrypt(Array.from(plaintext), publicKey, 1);
  } finally {
    smUtils.generateKeyPairHex = original;
  }
}

// ---- the sealed box (node:crypto, cross-checked with the openssl CLI) -------------------------

function sealedBox(key, iv, aad, plaintext) {
  const ke = hmacSm3(key, utf8('medshare/v1/sm4-ctr')).subarray(0, 16);
  const km = hmacSm3(key, utf8('medshare/v1/hmac-sm3'));
  const header = Buffer.concat([Buffer.from([0x01]), iv]);
  const body = sm4Ctr(ke, iv, plaintext);
  const tag = hmacSm3(km, header, u64be(aad.length), aad, body);
  return { ke, km, header, body, tag, sealed: Buffer.concat([header, body, tag]) };
}

function opensslSealCheck(box, iv, aad, plaintext) {
  const body = openssl(['enc', '-sm4-ctr', '-K', hex(box.ke), '-iv', hex(iv), '-in', 'p.bin'], { 'p.bin': plaintext });
  check(body.equals(box.body), 'openssl sm4-ctr body');
  const macInput = Buffer.concat([box.header, u64be(aad.length), aad, box.body]);
  const tag = openssl(['mac', '-digest', 'SM3', '-macopt', `hexkey:${hex(box.km)}`, '-in', 'm.bin', 'HMAC'], {
    'm.bin': macInput,
  })
    .toString()
    .trim()
    .toLowerCase();
  check(tag === hex(box.tag), 'openssl HMAC-SM3 tag');
}

// ---- build the vectors ---------------------------------------------------------------------------

const user = keyPair('medshare/test-vectors/v1/k1');
const contract = keyPair('medshare/test-vectors/v1/k4');
const userKeyId = hex(sm3(Buffer.from(user.publicKey, 'hex')));
const contractKeyId = hex(sm3(Buffer.from(contract.publicKey, 'hex')));
check(
  userKeyId === smCryptoSm3(Array.from(Buffer.from(user.publicKey, 'hex'))),
  'key id: node:crypto SM3 = sm-crypto SM3',
);

// PEM encodings; the openssl CLI derives the same SPKI from the PKCS#8 file.
const userSpki = spkiPem(user.publicKey);
const userPkcs8 = pkcs8Pem(user.privateKey, user.publicKey);
check(
  openssl(['pkey', '-in', 'k.pem', '-pubout'], { 'k.pem': userPkcs8 }).toString() === userSpki,
  'openssl: PKCS#8 → SPKI',
);

// A record sealed under a record key, with an AAD.
const recordKey = sm3(utf8('medshare/test-vectors/v1/record-key'));
// The IV's low 64 bits are 2^64 − 2, so the 128-bit big-endian counter carries into the high half on the third block.
const iv = Buffer.from('0001020304050607fffffffffffffffe', 'hex');
const aad = utf8('medshare/v1/record'); // the AAD apps seal records with (app/src/records/record-crypto.ts)
const plaintext = utf8('{"kind":"lab-result","text":"血红蛋白 135 g/L, 白细胞 6.1×10^9/L — synthetic test data"}');
const box = sealedBox(recordKey, iv, aad, plaintext);
opensslSealCheck(box, iv, aad, plaintext);

// The record key wrapped for its owner (SM2 encryption to K1).
const wrapK = scalarFromLabel('medshare/test-vectors/v1/wrap-k');
const wrap = `04${smCryptoEncrypt(user.publicKey, recordKey, wrapK)}`;
check(/^04[0-9a-f]{256}$/.test(wrap), 'key wrap is 04 ‖ x ‖ y ‖ C3 ‖ C2 (129 bytes)');
check(
  hex(sm2.doDecrypt(wrap.slice(2), user.privateKey, 1, { output: 'array' })) === hex(recordKey),
  'sm-crypto decrypts the key wrap',
);
check(wrap.slice(2, 130) === sm2.getPublicKeyFromPrivateKey(scalar32(wrapK).toString('hex')).slice(2), 'C1 = [k]G');

// The request: an upload of that sealed record, with its members deliberately out of order.
const pseudonym = hex(hmacSm3(utf8('hospital-a pseudonym secret (test)'), utf8('MRN-000123')));
const issuedAt = 1767225600000; // 2026-01-01T00:00:00Z
const request = {
  op: 'upload',
  keyId: userKeyId,
  body: {
    patientId: pseudonym,
    ownerKeyWrap: wrap,
    metadata: { kind: 'lab-result', createdAt: 1767139200000 },
    contentHash: hex(sm3(box.sealed)),
    ciphertext: box.sealed.toString('base64'),
  },
  v: 1,
  nonce: hex(sm3(utf8('medshare/test-vectors/v1/nonce'))).slice(0, 32),
  issuedAt,
  expiresAt: issuedAt + 120000,
  appId: 'hospital-a.app',
};
const canonical = canonicalize(request);
const canonicalSm3 = hex(sm3(utf8(canonical)));
check(canonicalSm3 === smCryptoSm3(canonical), 'request hash: node:crypto SM3 = sm-crypto SM3');
check(
  openssl(['dgst', '-sm3', '-r', 'c.json'], { 'c.json': canonical }).toString().split(' ')[0] === canonicalSm3,
  'request hash: openssl dgst',
);

// The same upload retried with an idempotency key (an optional body member, docs/protocol.md §6):
// a new request (its own nonce and times) whose body names the key, which sorts among the others.
const idempotencyKey = hex(sm3(utf8('medshare/test-vectors/v1/idempotency-key')));
const keyedRequest = {
  ...request,
  body: { ...request.body, idempotencyKey },
  nonce: hex(sm3(utf8('medshare/test-vectors/v1/nonce-2'))).slice(0, 32),
  issuedAt: issuedAt + 30000,
  expiresAt: issuedAt + 150000,
};
const keyedCanonical = canonicalize(keyedRequest);
const keyedSm3 = hex(sm3(utf8(keyedCanonical)));
check(keyedSm3 === smCryptoSm3(keyedCanonical), 'keyed request hash: node:crypto SM3 = sm-crypto SM3');
check(
  keyedCanonical.includes(
    `"ciphertext":"${request.body.ciphertext}","contentHash":"${request.body.contentHash}","idempotencyKey":"${idempotencyKey}","metadata":`,
  ),
  'idempotencyKey sorts between contentHash and metadata',
);

// An anonymous request (docs/protocol.md §6, §19): `ring` instead of `keyId`, members ascending.
// The key image here is only a well-formed compressed encoding: ring signatures and key images
// have their own vectors (test/vectors/ring.json, §18); these pin the request's encoding, its
// scope and the access-list entry ids.
const studyId = hex(sm3(utf8('medshare/v1/study-id\n'), utf8('0'.repeat(64))));
const ringMembers = [0, 1, 2, 3]
  .map((i) => hex(sm3(Buffer.from(keyPair(`medshare/test-vectors/v1/ring-member-${i}`).publicKey, 'hex'))))
  .sort();
const ringKeyImage = `02${hex(sm3(utf8('medshare/test-vectors/v1/key-image')))}`;
const ringRequest = {
  v: 1,
  op: 'contribute',
  body: { studyId, extract: box.sealed.toString('base64'), extractKeyWrap: wrap },
  nonce: hex(sm3(utf8('medshare/test-vectors/v1/nonce-ring'))).slice(0, 32),
  issuedAt,
  expiresAt: issuedAt + 120000,
  appId: 'hospital-a.app',
  ring: { keyImage: ringKeyImage, members: ringMembers },
};
const ringCanonical = canonicalize(ringRequest);
const ringScope = `medshare/v1/ring-scope\n${studyId}`;
const recordIdForEntry = hex(sm3(utf8('medshare/test-vectors/v1/record-id')));
const ringVectors = {
  value: ringRequest,
  canonical: ringCanonical,
  sm3: hex(sm3(utf8(ringCanonical))),
  sig1SignedBytes: hex(Buffer.concat([utf8('medshare/v1/sig1\n'), utf8(ringCanonical)])),
  sig1HexLength: 2 * (33 + 32 * (1 + ringMembers.length)),
  scopeUtf8: ringScope,
  actorKey: `ring:${studyId}:${ringKeyImage}`,
  warrantEntry: {
    recordId: recordIdForEntry,
    entryId: hex(sm3(utf8(`medshare/v1/access-entry\n${recordIdForEntry}\n${studyId}`))),
  },
  contributionEntryId: hex(sm3(utf8(`medshare/v1/access-entry\n${ringKeyImage}\n${studyId}`))),
};
// A download request stating the app's version (the optional member appVersion, docs/protocol.md
// §6, §7.6): it sorts between appId and body, and sig1 covers it like every other member.
const versionedRequest = {
  v: 1,
  op: 'file-view',
  keyId: userKeyId,
  nonce: hex(sm3(utf8('medshare/test-vectors/v1/nonce-3'))).slice(0, 32),
  issuedAt: issuedAt + 60000,
  expiresAt: issuedAt + 180000,
  appVersion: '1.4.2-rc.1+build.7',
  appId: 'hospital-a.app',
  body: { fileId: hex(sm3(utf8('medshare/test-vectors/v1/file-id'))), capsuleFragments: [] },
};
const versionedCanonical = canonicalize(versionedRequest);
const versionedSm3 = hex(sm3(utf8(versionedCanonical)));
check(versionedSm3 === smCryptoSm3(versionedCanonical), 'versioned request hash: node:crypto SM3 = sm-crypto SM3');
check(
  versionedCanonical.startsWith('{"appId":"hospital-a.app","appVersion":"1.4.2-rc.1+build.7","body":'),
  'appVersion sorts between appId and body',
);
const versionedSig1Bytes = Buffer.concat([utf8('medshare/v1/sig1\n'), utf8(versionedCanonical)]);

// A second canonicalization case: the corners of RFC 8785 the protocol allows.
// Kept as JSON text, since -0 and the escapes would not survive a round trip through JSON.stringify.
const cornersJson =
  '{"zeta":[9007199254740991,-9007199254740991,-0,0,true,false,null],"\\uffff":"BMP max","\\ud83d\\ude00":"emoji sorts before U+FFFF by UTF-16 units",' +
  '"aa":{},"a":[],"Z":"upper before lower","\\u00e9":"\\u0000\\u001f\\b\\f\\n\\r\\t\\"\\\\\\/\\u007f\\u2028 \\u00e9"}';
const cornersCanonical = canonicalize(JSON.parse(cornersJson));

// sig1 over the request, and the payload sig2 and sig3 cover.
const sig1Bytes = Buffer.concat([utf8('medshare/v1/sig1\n'), utf8(canonical)]);
const sig1Digest = digestE(user.publicKey, sig1Bytes);
const sig1K = scalarFromLabel('medshare/test-vectors/v1/sig1-k');
const sig1 = smCryptoSign(user, sig1Bytes, sig1K);
opensslVerify(user.publicKey, sig1Bytes, sig1);
const chainPayloadCanonical = canonicalize({ request, sig1 });
const sig2Bytes = Buffer.concat([utf8('medshare/v1/sig2\n'), utf8(chainPayloadCanonical)]);
const sig3Bytes = Buffer.concat([utf8('medshare/v1/sig3\n'), utf8(chainPayloadCanonical)]);

// The contract's response to that upload, sig4 with an RFC 6979 (HMAC-SM3) nonce, and sig5's bytes.
const txId = hex(sm3(utf8('medshare/test-vectors/v1/tx')));
const recordId = hex(sm3(utf8(`medshare/v1/record\n${txId}`)));
const response = {
  v: 1,
  op: 'upload',
  requestHash: canonicalSm3,
  txId,
  at: issuedAt + 1500,
  k4Id: contractKeyId,
  result: { recordId, contentHash: request.body.contentHash, uploadedAt: issuedAt + 1500 },
};
const sig4Bytes = Buffer.concat([utf8('medshare/v1/sig4\n'), utf8(canonicalize(response))]);
const sig4Digest = digestE(contract.publicKey, sig4Bytes);
const sig4K = rfc6979K(toBig(Buffer.from(contract.privateKey, 'hex')), sig4Digest.e);
const sig4 = smCryptoSign(contract, sig4Bytes, sig4K);
opensslVerify(contract.publicKey, sig4Bytes, sig4);
const contractOutput = canonicalize({ response, sig4 });
const sig5Bytes = Buffer.concat([utf8('medshare/v1/sig5\n'), utf8(contractOutput)]);

// A login (docs/protocol.md §7.7): the access layer's challenge, the user's K1 signature over it
// (purpose login), and the assertion signed by the access layer's K3 (purpose login-assertion).
const accessLayer = keyPair('medshare/test-vectors/v1/k3');
const accessLayerKeyId = hex(sm3(Buffer.from(accessLayer.publicKey, 'hex')));
const loginChallenge = {
  v: 1,
  nonce: hex(sm3(utf8('medshare/test-vectors/v1/login-nonce'))),
  sessionId: '0123456789abcdef0123456789abcdef',
  appId: 'hospital-a.app',
  keyId: userKeyId,
  org: 'Org1MSP',
  issuedAt: 1767225600000,
  expiresAt: 1767225660000,
};
const loginBytes = Buffer.concat([utf8('medshare/v1/login\n'), utf8(canonicalize(loginChallenge))]);
const loginK = scalarFromLabel('medshare/test-vectors/v1/login-k');
const loginSignature = smCryptoSign(user, loginBytes, loginK);
opensslVerify(user.publicKey, loginBytes, loginSignature);
const loginAssertion = {
  v: 1,
  keyId: userKeyId,
  role: 'patient',
  userOrg: 'Org1MSP',
  appId: 'hospital-a.app',
  gatewayOrg: 'Org1MSP',
  nonce: loginChallenge.nonce,
  issuedAt: 1767225601000,
  expiresAt: 1767225601000 + 8 * 3600000,
};
const assertionBytes = Buffer.concat([utf8('medshare/v1/login-assertion\n'), utf8(canonicalize(loginAssertion))]);
const assertionK = scalarFromLabel('medshare/test-vectors/v1/login-assertion-k');
const assertionSignature = smCryptoSign(accessLayer, assertionBytes, assertionK);
opensslVerify(accessLayer.publicKey, assertionBytes, assertionSignature);

// A key file for K1 (scrypt N = 2^14, the minimum accepted), passphrase given in NFD form.
const passphraseNfd = 'correct horse battery sta\u0308ple 电池';
const salt = sm3(utf8('medshare/test-vectors/v1/keyfile-salt')).subarray(0, 16);
const kdf = { name: 'scrypt', N: 2 ** 14, r: 8, p: 1, salt: hex(salt) };
const fileKey = scryptSync(passphraseNfd.normalize('NFC'), salt, 32, {
  N: kdf.N,
  r: kdf.r,
  p: kdf.p,
  maxmem: 64 * 1024 * 1024,
});
const fileHeader = {
  format: 'medshare-sm2-key',
  version: 1,
  keyId: userKeyId,
  publicKey: user.publicKey,
  kdf,
  cipher: 'sm4-ctr-hmac-sm3',
};
const fileAad = utf8(canonicalize(fileHeader));
const fileIv = sm3(utf8('medshare/test-vectors/v1/keyfile-iv')).subarray(0, 16);
const fileBox = sealedBox(fileKey, fileIv, fileAad, Buffer.from(user.privateKey, 'hex'));

// An access notification as the event stream seals it (docs/protocol.md §14): JCS of the
// delivered event under the session key, the AAD binding it to its session and its id.
const eventSessionKey = sm3(utf8('medshare/test-vectors/v1/session-key'));
const eventSessionId = '0123456789abcdef0123456789abcdef';
const eventId = '42-1';
const deliveredEvent = {
  id: eventId,
  v: 1,
  action: 'grant',
  recordId: hex(sm3(utf8('medshare/test-vectors/v1/record-id'))),
  owner: userKeyId,
  actorKeyId: userKeyId,
  subjectKeyId: hex(sm3(utf8('medshare/test-vectors/v1/grantee'))),
  org: 'Org1MSP',
  txId: hex(sm3(utf8('medshare/test-vectors/v1/event-tx'))),
  at: 1800000000000,
};
const eventIv = Buffer.from('101112131415161718191a1b1c1d1e1f', 'hex');
const eventAadUtf8 = `medshare/v1/event\n${eventSessionId}\n${eventId}`;
const eventBox = sealedBox(eventSessionKey, eventIv, utf8(eventAadUtf8), utf8(canonicalize(deliveredEvent)));
opensslSealCheck(eventBox, eventIv, utf8(eventAadUtf8), utf8(canonicalize(deliveredEvent)));

const vectors = {
  description:
    'medshare protocol v1 known answers (docs/protocol.md, "Test vectors"). Generated by scripts/vectors/generate-protocol-vectors.mjs ' +
    'with canonicalize (RFC 8785), sm-crypto (SM2), node:crypto (SM3, HMAC-SM3, SM4-CTR, scrypt) and the openssl CLI; not by medshare. ' +
    'All keys are TEST KEYS derived from public labels: never use them.',
  keys: {
    user: {
      label: 'medshare/test-vectors/v1/k1',
      derivation: 'privateKey = SM3(utf8(label))',
      privateKey: user.privateKey,
      publicKey: user.publicKey,
      keyId: userKeyId,
      spkiPem: userSpki,
      pkcs8Pem: userPkcs8,
    },
    accessLayer: {
      label: 'medshare/test-vectors/v1/k3',
      derivation: 'privateKey = SM3(utf8(label))',
      privateKey: accessLayer.privateKey,
      publicKey: accessLayer.publicKey,
      keyId: accessLayerKeyId,
    },
    contract: {
      label: 'medshare/test-vectors/v1/k4',
      derivation: 'privateKey = SM3(utf8(label))',
      privateKey: contract.privateKey,
      publicKey: contract.publicKey,
      keyId: contractKeyId,
    },
  },
  canonical: {
    request: { value: request, canonical, sm3: canonicalSm3 },
    keyedUpload: { value: keyedRequest, canonical: keyedCanonical, sm3: keyedSm3 },
    versionedRequest: {
      value: versionedRequest,
      canonical: versionedCanonical,
      sm3: versionedSm3,
      sig1SignedBytes: hex(versionedSig1Bytes),
    },
    corners: { json: cornersJson, canonical: cornersCanonical },
    ringRequest: ringVectors,
  },
  sealedBox: {
    key: hex(recordKey),
    iv: hex(iv),
    aadUtf8: aad.toString('utf8'),
    plaintextUtf8: plaintext.toString('utf8'),
    encKey: hex(box.ke),
    macKey: hex(box.km),
    body: hex(box.body),
    tag: hex(box.tag),
    sealed: hex(box.sealed),
  },
  keyWrap: {
    recipientPrivateKey: user.privateKey,
    recipientPublicKey: user.publicKey,
    plaintext: hex(recordKey),
    k: scalar32(wrapK).toString('hex'),
    ciphertext: wrap,
  },
  sig1: {
    publicKey: user.publicKey,
    signedBytes: hex(sig1Bytes),
    zA: hex(sig1Digest.zA),
    e: hex(sig1Digest.e),
    k: scalar32(sig1K).toString('hex'),
    signature: sig1,
  },
  chain: {
    payloadCanonical: chainPayloadCanonical,
    sig2SignedBytes: hex(sig2Bytes),
    sig3SignedBytes: hex(sig3Bytes),
  },
  sig4: {
    publicKey: contract.publicKey,
    response,
    signedBytes: hex(sig4Bytes),
    e: hex(sig4Digest.e),
    k: scalar32(sig4K).toString('hex'),
    signature: sig4,
    output: contractOutput,
    sig5SignedBytes: hex(sig5Bytes),
  },
  recordId: { txId, recordId },
  login: {
    challenge: loginChallenge,
    signedBytes: hex(loginBytes),
    k: scalar32(loginK).toString('hex'),
    signature: loginSignature,
    assertion: loginAssertion,
    assertionSignedBytes: hex(assertionBytes),
    assertionK: scalar32(assertionK).toString('hex'),
    signed: { assertion: loginAssertion, k3Id: accessLayerKeyId, sig3: assertionSignature },
  },
  sealedEvent: {
    sessionKey: hex(eventSessionKey),
    sessionId: eventSessionId,
    id: eventId,
    iv: eventIv.toString('hex'),
    aadUtf8: eventAadUtf8,
    event: deliveredEvent,
    eventJcs: canonicalize(deliveredEvent),
    data: eventBox.sealed.toString('base64'),
  },
  keyFile: {
    passphrase: passphraseNfd,
    note: 'the passphrase is stored decomposed (NFD); implementations normalize it to NFC before scrypt',
    derivedKey: hex(fileKey),
    aadCanonical: fileAad.toString('utf8'),
    iv: hex(fileIv),
    file: { ...fileHeader, sealed: fileBox.sealed.toString('base64') },
  },
};

writeOrCheck(OUT, vectors);
