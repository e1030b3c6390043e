// SPDX-License-Identifier: Apache-2.0
import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';

/** What a Fabric client identity offers the chaincode (fabric-shim's ClientIdentity). */
export interface ClientIdentityLike {
  getMSPID(): string;
  getID(): string;
}

/**
 * A simulated Fabric client: an MSP id and an X.509 certificate, as the peer hands the shim the
 * creator of a proposal (SerializedIdentity {mspid, id_bytes}). The chaincode's ClientIdentity
 * is built from it by fabric-shim itself, so getID() and the certificate's subject are read
 * exactly as on Fabric.
 */
export interface SimulatedIdentity extends ClientIdentityLike {
  readonly mspId: string;
  /** The certificate, PEM (Fabric's id_bytes). */
  readonly certificate: string;
  getIDBytes(): Uint8Array;
}

// DER (X.690) for the few types an X.509 certificate (RFC 5280 §4.1) is made of.
function der(tag: number, content: Buffer): Buffer {
  const n = content.length;
  const length =
    n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff]);
  return Buffer.concat([Buffer.from([tag]), length, content]);
}
const seq = (...items: Buffer[]): Buffer => der(0x30, Buffer.concat(items));
const set = (...items: Buffer[]): Buffer => der(0x31, Buffer.concat(items));
const utf8String = (s: string): Buffer => der(0x0c, Buffer.from(s, 'utf8'));
const utcTime = (s: string): Buffer => der(0x17, Buffer.from(s, 'ascii'));
function oid(dotted: string): Buffer {
  const [a = 0, b = 0, ...rest] = dotted.split('.').map(Number);
  const bytes = [40 * a + b];
  for (const arc of rest) {
    const groups = [arc & 0x7f];
    for (let v = arc >> 7; v > 0; v >>= 7) groups.unshift((v & 0x7f) | 0x80);
    bytes.push(...groups);
  }
  return der(0x06, Buffer.from(bytes));
}
function positiveInteger(bytes: Buffer): Buffer {
  return der(0x02, (bytes[0] ?? 0) & 0x80 ? Buffer.concat([Buffer.from([0]), bytes]) : bytes);
}

/** RFC 5280 attribute types (X.520): countryName, organizationName, organizationalUnitName, commonName. */
const ATTRIBUTE_OID: Readonly<Record<string, string>> = { C: '2.5.4.6', O: '2.5.4.10', OU: '2.5.4.11', CN: '2.5.4.3' };
const ECDSA_WITH_SHA256 = seq(oid('1.2.840.10045.4.3.2'));

function name(attributes: ReadonlyArray<readonly [string, string]>): Buffer {
  return seq(...attributes.map(([type, value]) => set(seq(oid(ATTRIBUTE_OID[type] ?? '2.5.4.3'), utf8String(value)))));
}

/** `/K=V` as fabric-shim's ClientIdentity formats a DN (it escapes the first `/` of a value). */
function formatDn(attributes: ReadonlyArray<readonly [string, string]>): string {
  return attributes.map(([type, value]) => `/${type}=${value.replace('/', '\\/')}`).join('');
}

let caKey: KeyObject | undefined;
const cache = new Map<string, SimulatedIdentity>();

/**
 * A client identity of `mspId` with a certificate as cryptogen issues them (NodeOU `admin` or
 * `client`), signed by a per-process P-256 key standing for the org's CA (nothing verifies it:
 * the simulator's peer is the process itself). Made once per (org, role, name) per process.
 */
export function fabricIdentity(mspId: string, options: { admin?: boolean; name?: string } = {}): SimulatedIdentity {
  const ou = options.admin ? 'admin' : 'client';
  const cn = options.name ?? (options.admin ? `Admin@${mspId}` : `User1@${mspId}`);
  const cacheKey = `${mspId}\u0000${ou}\u0000${cn}`;
  const cached = cache.get(cacheKey);
  if (cached) return cached;

  caKey ??= generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  const subject = [
    ['C', 'US'],
    ['O', mspId],
    ['OU', ou],
    ['CN', cn],
  ] as const;
  const issuer = [
    ['C', 'US'],
    ['O', mspId],
    ['CN', `ca.${mspId}`],
  ] as const;
  const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const serial = createHash('sha256').update(cacheKey).digest().subarray(0, 16);
  const tbs = seq(
    der(0xa0, positiveInteger(Buffer.from([2]))), // [0] version v3
    positiveInteger(serial),
    ECDSA_WITH_SHA256,
    name(issuer),
    seq(utcTime('250101000000Z'), utcTime('491231235959Z')),
    name(subject),
    publicKey.export({ type: 'spki', format: 'der' }),
  );
  const signature = sign('sha256', tbs, caKey);
  const certDer = seq(tbs, ECDSA_WITH_SHA256, der(0x03, Buffer.concat([Buffer.from([0]), signature])));
  const certificate = `-----BEGIN CERTIFICATE-----\n${certDer.toString('base64').replace(/(.{64})/g, '$1\n')}\n-----END CERTIFICATE-----\n`;
  const id = `x509::${formatDn(subject)}::${formatDn(issuer)}`;
  const idBytes = Buffer.from(certificate, 'utf8');
  const identity: SimulatedIdentity = {
    mspId,
    certificate,
    getMSPID: () => mspId,
    getID: () => id,
    getIDBytes: () => new Uint8Array(idBytes),
  };
  cache.set(cacheKey, identity);
  return identity;
}
