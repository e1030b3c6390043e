// SPDX-License-Identifier: Apache-2.0
import { concatBytes, equalBytes, fromHex, toHex } from '../bytes';
import { assertPublicKey, privateScalar, publicKeyFromPrivate } from './keys';
import { scalarToBytes } from './curve';

// RFC 5480 id-ecPublicKey and GB/T 33560 sm2p256v1 (1.2.156.10197.1.301), DER encoded.
const OID_EC_PUBLIC_KEY = fromHex('06072a8648ce3d0201');
const OID_SM2 = fromHex('06082a811ccf5501822d');
const ALGORITHM = der(0x30, concatBytes(OID_EC_PUBLIC_KEY, OID_SM2));

function der(tag: number, body: Uint8Array): Uint8Array {
  const length =
    body.length < 0x80
      ? Uint8Array.of(body.length)
      : body.length < 0x100
        ? Uint8Array.of(0x81, body.length)
        : Uint8Array.of(0x82, body.length >> 8, body.length & 0xff);
  return concatBytes(Uint8Array.of(tag), length, body);
}

interface Tlv {
  readonly tag: number;
  readonly body: Uint8Array;
  readonly end: number;
}

/** Reads one DER TLV at `offset`; definite, minimal lengths up to 64 KiB only. */
function readTlv(bytes: Uint8Array, offset: number): Tlv {
  const tag = bytes[offset];
  let lengthByte = bytes[offset + 1];
  if (tag === undefined || lengthByte === undefined) throw new RangeError('truncated DER');
  let start = offset + 2;
  let length = lengthByte;
  if (lengthByte & 0x80) {
    const count = lengthByte & 0x7f;
    if (count < 1 || count > 2) throw new RangeError('unsupported DER length');
    length = 0;
    for (let i = 0; i < count; i++) {
      lengthByte = bytes[start + i];
      if (lengthByte === undefined) throw new RangeError('truncated DER');
      length = (length << 8) | lengthByte;
    }
    if (length < 0x80 || (count === 2 && length < 0x100)) throw new RangeError('non-minimal DER length');
    start += count;
  }
  const end = start + length;
  if (end > bytes.length) throw new RangeError('truncated DER');
  return { tag, body: bytes.subarray(start, end), end };
}

function children(body: Uint8Array): Tlv[] {
  const out: Tlv[] = [];
  for (let offset = 0; offset < body.length;) {
    const tlv = readTlv(body, offset);
    out.push(tlv);
    offset = tlv.end;
  }
  return out;
}

function pem(label: string, bytes: Uint8Array): string {
  const b64 = Buffer.from(bytes)
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .trimEnd();
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

function unpem(label: string, text: string): Uint8Array {
  const match = new RegExp(`-----BEGIN ${label}-----([A-Za-z0-9+/=\\s]+)-----END ${label}-----`).exec(text);
  if (!match?.[1]) throw new RangeError(`expected a PEM ${label}`);
  return new Uint8Array(Buffer.from(match[1].replace(/\s+/g, ''), 'base64'));
}

function expectAlgorithm(tlv: Tlv | undefined): void {
  if (!tlv || tlv.tag !== 0x30 || !equalBytes(der(0x30, tlv.body), ALGORITHM)) {
    throw new RangeError('not an SM2 key (AlgorithmIdentifier must be id-ecPublicKey with sm2p256v1)');
  }
}

function bitStringPoint(tlv: Tlv | undefined): string {
  if (!tlv || tlv.tag !== 0x03 || tlv.body[0] !== 0x00) throw new RangeError('expected a BIT STRING public key');
  return assertPublicKey(toHex(tlv.body.subarray(1)));
}

/** RFC 5280 SubjectPublicKeyInfo, PEM "PUBLIC KEY". */
export function publicKeyToPem(publicKeyHex: string): string {
  const point = fromHex(assertPublicKey(publicKeyHex));
  return pem('PUBLIC KEY', der(0x30, concatBytes(ALGORITHM, der(0x03, concatBytes(Uint8Array.of(0), point)))));
}

export function publicKeyFromPem(text: string): string {
  const outer = readTlv(unpem('PUBLIC KEY', text), 0);
  if (outer.tag !== 0x30) throw new RangeError('SubjectPublicKeyInfo must be a SEQUENCE');
  const [algorithm, key, extra] = children(outer.body);
  if (extra) throw new RangeError('trailing data in SubjectPublicKeyInfo');
  expectAlgorithm(algorithm);
  return bitStringPoint(key);
}

/** RFC 5208 PKCS#8 PrivateKeyInfo wrapping an RFC 5915 ECPrivateKey, PEM "PRIVATE KEY". */
export function privateKeyToPem(privateKeyHex: string): string {
  const d = scalarToBytes(privateScalar(privateKeyHex));
  const point = fromHex(publicKeyFromPrivate(privateKeyHex));
  const ecPrivateKey = der(
    0x30,
    concatBytes(fromHex('020101'), der(0x04, d), der(0xa1, der(0x03, concatBytes(Uint8Array.of(0), point)))),
  );
  return pem('PRIVATE KEY', der(0x30, concatBytes(fromHex('020100'), ALGORITHM, der(0x04, ecPrivateKey))));
}

/** Returns the private scalar (hex); checks the embedded public key, when present, matches it. */
export function privateKeyFromPem(text: string): string {
  const outer = readTlv(unpem('PRIVATE KEY', text), 0);
  if (outer.tag !== 0x30) throw new RangeError('PrivateKeyInfo must be a SEQUENCE');
  const [version, algorithm, octets] = children(outer.body);
  if (!version || version.tag !== 0x02 || !equalBytes(version.body, Uint8Array.of(0)))
    throw new RangeError('PrivateKeyInfo version must be 0');
  expectAlgorithm(algorithm);
  if (!octets || octets.tag !== 0x04) throw new RangeError('expected an OCTET STRING private key');
  const fields = children(readTlv(octets.body, 0).body);
  const privateKeyHex = ecPrivateKeySecret(fields);
  expectOptionalFieldsMatch(fields.slice(2), publicKeyFromPrivate(privateKeyHex));
  return privateKeyHex;
}

/** RFC 5915: ECPrivateKey ::= SEQUENCE { version INTEGER (1), privateKey OCTET STRING, … }. */
function ecPrivateKeySecret(fields: readonly Tlv[]): string {
  const [ecVersion, secret] = fields;
  if (!ecVersion || !equalBytes(ecVersion.body, Uint8Array.of(1)))
    throw new RangeError('ECPrivateKey version must be 1');
  if (!secret || secret.tag !== 0x04 || secret.body.length !== 32)
    throw new RangeError('ECPrivateKey must hold a 32-byte secret');
  return toHex(secret.body);
}

/** RFC 5915: the optional [0] parameters must name sm2p256v1 and the optional [1] publicKey must match the secret. */
function expectOptionalFieldsMatch(fields: readonly Tlv[], publicKeyHex: string): void {
  for (const field of fields) {
    if (field.tag === 0xa0 && !equalBytes(field.body, OID_SM2))
      throw new RangeError('ECPrivateKey parameters are not sm2p256v1');
    if (field.tag === 0xa1 && bitStringPoint(readTlv(field.body, 0)) !== publicKeyHex) {
      throw new RangeError('ECPrivateKey public key does not match its secret');
    }
  }
}
