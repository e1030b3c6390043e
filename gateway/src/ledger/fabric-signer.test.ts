// SPDX-License-Identifier: Apache-2.0
import { generateKeyPairSync, sign, verify } from 'node:crypto';
import { hash } from '@hyperledger/fabric-gateway';
import { signatureFromDer, signatureToDer } from '@medshare/crypto/sm2';
import { bigIntToBytes, bytesToBigInt, utf8 } from '@medshare/crypto/bytes';
import { fabricSigning, lowS } from './fabric-signer';

const P256_N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
const sOf = (der: Uint8Array): bigint => bytesToBigInt(signatureFromDer(der).subarray(32));

describe('fabricSigning', () => {
  const p256 = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });

  it('signs a P-256 identity natively: ECDSA over SHA-256 of the whole message, DER, always low-S', async () => {
    const signing = fabricSigning(p256.privateKey);
    const message = utf8('a proposal payload');
    // fabric-gateway hands the signer the message itself.
    expect(signing.hash(message)).toBe(message);
    // Half of OpenSSL's signatures have a high s: 64 of them all come out low.
    for (let i = 0; i < 64; i++) {
      const der = await signing.signer(signing.hash(message));
      expect(verify('sha256', message, { key: p256.publicKey, dsaEncoding: 'der' }, der)).toBe(true);
      expect(sOf(der) <= P256_N >> 1n).toBe(true);
    }
  });

  it('keeps fabric-gateway`s own signer and SHA-256 for any other key', async () => {
    const p384 = generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
    const signing = fabricSigning(p384.privateKey);
    expect(signing.hash).toBe(hash.sha256);
    const message = utf8('another payload');
    const der = await signing.signer(signing.hash(message));
    expect(verify('sha256', message, { key: p384.publicKey, dsaEncoding: 'der' }, der)).toBe(true);
  });
});

describe('lowS', () => {
  it('turns a high s into n − s (the same signature`s other form) and leaves a low one alone', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const message = utf8('m');
    let low: Uint8Array | undefined;
    while (!low) {
      const rs = sign('sha256', message, { key: privateKey, dsaEncoding: 'ieee-p1363' });
      if (bytesToBigInt(rs.subarray(32)) <= P256_N >> 1n) low = rs;
    }
    const high = new Uint8Array(low);
    high.set(bigIntToBytes(P256_N - bytesToBigInt(low.subarray(32)), 32), 32);
    expect(verify('sha256', message, { key: publicKey, dsaEncoding: 'ieee-p1363' }, high)).toBe(true);
    expect(lowS(signatureToDer(high))).toEqual(signatureToDer(low));
    const lowDer = signatureToDer(low);
    expect(lowS(lowDer)).toBe(lowDer);
  });
});
