// SPDX-License-Identifier: Apache-2.0
import { randomBytes } from 'node:crypto';
import { createHasher } from '@noble/curves/abstract/hash-to-curve';
import { p256, p256_hasher } from '@noble/curves/nist';
import { utf8 } from '../bytes';
import { nobleHash } from '../testing/noble-hash';
import { openssl } from '../testing/openssl';
import { Point, SM2_A, SM2_B, SM2_P } from './curve';
import { hashToCurveSm2, SM2_SSWU_Z, sm2Sswu, sswuHasher } from './hash-to-curve';
import { XMD_SM3 } from './hash-to-field';

// sm-crypto's own point decoding and curve equation (jsbn), an implementation unrelated to noble's.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const smUtils = require('sm-crypto/src/sm2/utils') as { verifyPublicKey(hex: string): boolean };

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const modp = (v: bigint, p: bigint): bigint => ((v % p) + p) % p;

function pow(base: bigint, e: bigint, p: bigint): bigint {
  let r = 1n;
  let b = modp(base, p);
  for (; e > 0n; e >>= 1n) {
    if (e & 1n) r = (r * b) % p;
    b = (b * b) % p;
  }
  return r;
}
const isSquare = (v: bigint, p: bigint): boolean => modp(v, p) === 0n || pow(v, (p - 1n) / 2n, p) === 1n;

/** a·b mod the monic cubic f over GF(p); coefficients lowest first. */
function polyMulMod(a: bigint[], b: bigint[], f: bigint[], p: bigint): bigint[] {
  const r = new Array<bigint>(a.length + b.length - 1).fill(0n);
  a.forEach((x, i) => b.forEach((y, j) => (r[i + j] = modp(r[i + j]! + x * y, p))));
  for (let k = r.length - 1; k >= 3; k--) {
    const c = r[k]!;
    for (let j = 0; j <= 3; j++) r[k - 3 + j] = modp(r[k - 3 + j]! - c * f[j]!, p);
  }
  return [r[0] ?? 0n, r[1] ?? 0n, r[2] ?? 0n];
}

/** A cubic is irreducible over GF(p) iff it has no root iff x^p ≡ x has no common factor with it. */
function cubicIsIrreducible(f: bigint[], p: bigint): boolean {
  let result = [1n, 0n, 0n];
  let base = [0n, 1n, 0n];
  for (let e = p; e > 0n; e >>= 1n) {
    if (e & 1n) result = polyMulMod(result, base, f, p);
    base = polyMulMod(base, base, f, p);
  }
  const trim = (a: bigint[]): bigint[] => {
    const out = [...a];
    while (out.length > 0 && out[out.length - 1] === 0n) out.pop();
    return out;
  };
  let a = trim(f);
  let b = trim([result[0]!, modp(result[1]! - 1n, p), result[2]!]);
  while (b.length > 0) {
    const r = [...a];
    while (r.length >= b.length && r.length > 0) {
      const c = (r[r.length - 1]! * pow(b[b.length - 1]!, p - 2n, p)) % p;
      const shift = r.length - b.length;
      b.forEach((v, j) => (r[shift + j] = modp(r[shift + j]! - c * v, p)));
      while (r.length > 0 && r[r.length - 1] === 0n) r.pop();
    }
    [a, b] = [b, r];
  }
  return a.length === 1;
}

/** RFC 9380 §H.2 find_z_sswu: the first of 1, −1, 2, −2, … meeting the four criteria. */
function findZSswu(p: bigint, a: bigint, b: bigint): bigint {
  for (let ctr = 1n; ; ctr++) {
    for (const z of [ctr, -ctr]) {
      const zp = modp(z, p);
      if (isSquare(zp, p) || zp === p - 1n) continue;
      if (!cubicIsIrreducible([modp(b - zp, p), modp(a, p), 0n, 1n], p)) continue;
      const x = (b * pow(zp * a, p - 2n, p)) % p;
      if (isSquare(x * x * x + a * x + b, p)) return z;
    }
  }
}

const P256_DST = utf8('QUUX-V01-CS02-with-P256_XMD:SHA-256_SSWU_RO_');
const p256Curve = p256.Point.CURVE();
const p256Sswu = sswuHasher({
  Point: p256.Point,
  a: p256Curve.a,
  b: p256Curve.b,
  z: -10n,
  hash: { name: 'sha256', outputBytes: 32, blockBytes: 64 },
  fieldBytes: 48,
});

/** SPKI DER of an SM2 public key (id-ecPublicKey, sm2p256v1), for `openssl pkey -pubcheck`. */
const spki = (point: Uint8Array): Uint8Array =>
  Buffer.concat([Buffer.from('3059301306072a8648ce3d020106082a811ccf5501822d034200', 'hex'), point]);
const opensslAccepts = (point: Uint8Array): boolean => {
  try {
    openssl(['pkey', '-pubin', '-inform', 'DER', '-in', 'k.der', '-pubcheck', '-noout'], { 'k.der': spki(point) });
    return true;
  } catch {
    return false;
  }
};

describe('Z for the simplified SWU map (RFC 9380 §H.2)', () => {
  it('gives the published −10 for P-256 and −9 for sm2p256v1, the constant in use', () => {
    expect(findZSswu(p256Curve.p, p256Curve.a, p256Curve.b)).toBe(-10n);
    expect(findZSswu(SM2_P, SM2_A, SM2_B)).toBe(-9n);
    expect(SM2_SSWU_Z).toBe(-9n);
  });
});

describe('hash_to_curve with simplified SWU (RFC 9380 §3, §6.6.2)', () => {
  it("meets RFC 9380 §J.1.1's P256_XMD:SHA-256_SSWU_RO_ known answers when instantiated for P-256", () => {
    const empty = p256Sswu.hashToCurve(new Uint8Array(0), P256_DST).toAffine();
    expect(empty.x.toString(16)).toBe('2c15230b26dbc6fc9a37051158c95b79656e17a1a920b11394ca91c44247d3e4');
    expect(empty.y.toString(16)).toBe('8a7a74985cc5c776cdfe4b1f19884970453912e9d31528c060be9ab5c43e8415');
    const abc = p256Sswu.hashToCurve(utf8('abc'), P256_DST).toAffine();
    expect(abc.x.toString(16).padStart(64, '0')).toBe(
      '0bb8b87485551aa43ed54f009230450b492fead5f1cc91658775dac4a3388a0f',
    );
    expect(abc.y.toString(16)).toBe('5c41b3d0731a27a7b14bc0bf0ccded2d8751f83493404c84a88e71ffd424212e');
    for (let i = 0; i < 8; i++) {
      const msg = new Uint8Array(randomBytes(i * 9));
      expect(p256Sswu.hashToCurve(msg, P256_DST).toAffine()).toEqual(
        p256_hasher.hashToCurve(msg, { DST: P256_DST }).toAffine(),
      );
    }
  });

  it("for SM2 agrees with noble's generic createHasher given the same parameters and SM3", () => {
    const nobleSm2 = createHasher(Point, (scalars) => sm2Sswu.mapToCurve(scalars[0]!).toAffine(), {
      DST: 'unused',
      p: SM2_P,
      m: 1,
      k: 128,
      expand: 'xmd',
      hash: nobleHash('sm3'),
    });
    const dst = utf8('medshare/v1/ring/SM2_XMD:SM3_SSWU_RO_');
    for (let i = 0; i < 8; i++) {
      const msg = new Uint8Array(randomBytes(1 + i * 11));
      expect(hashToCurveSm2(msg, dst).toAffine()).toEqual(nobleSm2.hashToCurve(msg, { DST: dst }).toAffine());
    }
  });

  it('lands on the SM2 curve by sm-crypto and by OpenSSL, and the map handles u = 0 (tv1 = 0)', () => {
    const dst = 'medshare/v1/ring/SM2_XMD:SM3_SSWU_RO_';
    const points = [utf8('a'), utf8('medshare/v1/study/1'), new Uint8Array(randomBytes(300))].map((scope) =>
      hashToCurveSm2(scope, dst).toBytes(false),
    );
    points.push(sm2Sswu.mapToCurve(0n).toBytes(false));
    for (const point of points) {
      expect(smUtils.verifyPublicKey(hex(point))).toBe(true);
      expect(opensslAccepts(point)).toBe(true);
    }
    // The controls: the same checks refuse a point off the curve.
    const off = Uint8Array.from(points[0]!);
    off[64] = (off[64] ?? 0) ^ 1;
    expect(smUtils.verifyPublicKey(hex(off))).toBe(false);
    expect(opensslAccepts(off)).toBe(false);
  });

  it('separates domains: another DST or another message gives another point', () => {
    const scope = utf8('medshare/v1/study/1');
    const h = hashToCurveSm2(scope, 'medshare/v1/ring/SM2_XMD:SM3_SSWU_RO_');
    expect(h.equals(hashToCurveSm2(scope, 'medshare/v1/other/SM2_XMD:SM3_SSWU_RO_'))).toBe(false);
    expect(h.equals(hashToCurveSm2(utf8('medshare/v1/study/2'), 'medshare/v1/ring/SM2_XMD:SM3_SSWU_RO_'))).toBe(false);
  });

  it('refuses a curve with a cofactor', () => {
    const cofactor = { ...p256.Point, CURVE: () => ({ ...p256Curve, h: 4n }) } as unknown as typeof p256.Point;
    expect(() => sswuHasher({ Point: cofactor, a: 1n, b: 1n, z: -10n, hash: XMD_SM3, fieldBytes: 48 })).toThrow(
      RangeError,
    );
  });
});
