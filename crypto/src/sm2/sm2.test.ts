// SPDX-License-Identifier: Apache-2.0
import fc from 'fast-check';
import { sm2 as smCrypto } from 'sm-crypto';
import vectors from '../../../test/vectors/sm2.json';
import { concatBytes, fromHex, toHex, utf8 } from '../bytes';
import { openssl, sm2CiphertextFromAsn1, sm2CiphertextToAsn1 } from '../testing/openssl';
import { CiphertextError } from '../errors';
import { decrypt, encrypt, encryptWithK } from './encrypt';
import { generateKeyPair, publicKeyFromPrivate } from './keys';
import { privateKeyFromPem, privateKeyToPem, publicKeyFromPem, publicKeyToPem } from './pem';
import { sign, signDeterministic, signWithK, signatureFromDer, signatureToDer, verify, zA } from './sign';
import { sm3 } from '../sm3';

const sig = vectors.signature;
const enc = vectors.encryption;
const DISTID = ['-pkeyopt', 'distid:1234567812345678'];

describe('SM2 known answers (GB/T 32918.5-2017 Appendices A and C)', () => {
  it('derives the example public key from the example private key', () => {
    expect(publicKeyFromPrivate(sig.privateKey)).toBe(sig.publicKey);
  });

  it('computes Z_A and e of Appendix A', () => {
    const z = zA(sig.publicKey, utf8(sig.userIdUtf8));
    expect(toHex(z)).toBe(sig.zA);
    expect(toHex(sm3(concatBytes(z, utf8(sig.messageUtf8))))).toBe(sig.e);
    // the default user id is the standard's one
    expect(toHex(zA(sig.publicKey))).toBe(sig.zA);
  });

  it('verifies the Appendix A signature and rejects it for another message', () => {
    const signature = fromHex(sig.r + sig.s);
    expect(verify(sig.publicKey, utf8(sig.messageUtf8), signature)).toBe(true);
    expect(verify(sig.publicKey, utf8('message digesT'), signature)).toBe(false);
  });

  it('reproduces the Appendix A signature when k is the example k', () => {
    const signature = signWithK(sig.privateKey, sig.publicKey, utf8(sig.messageUtf8), BigInt(`0x${sig.k}`), {
      userId: utf8(sig.userIdUtf8),
    });
    expect(toHex(signature)).toBe(sig.r + sig.s);
  });

  it('reproduces the Appendix C ciphertext with the example k and decrypts it', () => {
    const publicKey = publicKeyFromPrivate(enc.privateKey);
    const ciphertext = encryptWithK(publicKey, utf8(enc.messageUtf8), BigInt(`0x${enc.k}`));
    expect(toHex(ciphertext)).toBe(enc.c1 + enc.c3 + enc.c2);
    expect(Buffer.from(decrypt(enc.privateKey, ciphertext)).toString()).toBe(enc.messageUtf8);
  });
});

describe('SM2 signatures', () => {
  const keys = generateKeyPair();

  it('round-trips for random messages (random and deterministic k)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (message) => {
        expect(verify(keys.publicKey, message, sign(keys.privateKey, keys.publicKey, message))).toBe(true);
        expect(verify(keys.publicKey, message, signDeterministic(keys.privateKey, keys.publicKey, message))).toBe(true);
      }),
      { numRuns: 50 },
    );
  });

  it('deterministic signatures are byte-identical across calls and differ per message', () => {
    const a = signDeterministic(keys.privateKey, keys.publicKey, utf8('response'));
    expect(toHex(signDeterministic(keys.privateKey, keys.publicKey, utf8('response')))).toBe(toHex(a));
    expect(toHex(signDeterministic(keys.privateKey, keys.publicKey, utf8('response2')))).not.toBe(toHex(a));
  });

  it('rejects any single flipped bit in the signature', () => {
    const message = utf8('flip me');
    const signature = sign(keys.privateKey, keys.publicKey, message);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 511 }), (bit) => {
        const tampered = signature.slice();
        tampered[bit >> 3] = (tampered[bit >> 3] ?? 0) ^ (1 << (bit & 7));
        expect(verify(keys.publicKey, message, tampered)).toBe(false);
      }),
      { numRuns: 200 },
    );
  });

  it('rejects r or s out of range, wrong length, another key and another user id', () => {
    const message = utf8('edge');
    const signature = sign(keys.privateKey, keys.publicKey, message);
    expect(verify(keys.publicKey, message, new Uint8Array(64))).toBe(false);
    expect(verify(keys.publicKey, message, new Uint8Array(64).fill(0xff))).toBe(false);
    expect(verify(keys.publicKey, message, signature.subarray(0, 63))).toBe(false);
    expect(verify(generateKeyPair().publicKey, message, signature)).toBe(false);
    expect(verify(keys.publicKey, message, signature, { userId: utf8('ALICE123@YAHOO.COM') })).toBe(false);
    expect(verify('04' + '00'.repeat(64), message, signature)).toBe(false);
  });

  it('DER conversion round-trips and refuses non-minimal encodings', () => {
    const signature = sign(keys.privateKey, keys.publicKey, utf8('der'));
    expect(toHex(signatureFromDer(signatureToDer(signature)))).toBe(toHex(signature));
    const der = signatureToDer(signature);
    const padded = concatBytes(Uint8Array.of(0x30, (der[1] ?? 0) + 1, 0x02, (der[3] ?? 0) + 1, 0x00), der.subarray(4));
    expect(() => signatureFromDer(padded)).toThrow(RangeError);
  });
});

describe('SM2 cross-checks with the openssl CLI (both directions)', () => {
  const keys = generateKeyPair();
  const message = utf8('cross-check: medshare signs, openssl verifies');

  it('openssl verifies our signature with distid 1234567812345678', () => {
    const signature = signatureToDer(sign(keys.privateKey, keys.publicKey, message));
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
        ...DISTID,
        '-in',
        'msg.bin',
        '-sigfile',
        'sig.der',
      ],
      {
        'pub.pem': publicKeyToPem(keys.publicKey),
        'msg.bin': message,
        'sig.der': signature,
      },
    );
    expect(Buffer.from(out).toString()).toContain('Signature Verified Successfully');
  });

  it('we verify an openssl signature and read its PEM keys', () => {
    const pem = Buffer.from(openssl(['genpkey', '-algorithm', 'SM2'], {})).toString();
    const privateKey = privateKeyFromPem(pem);
    const publicPem = Buffer.from(openssl(['pkey', '-in', 'key.pem', '-pubout'], { 'key.pem': pem })).toString();
    const publicKey = publicKeyFromPem(publicPem);
    expect(publicKeyFromPrivate(privateKey)).toBe(publicKey);
    const der = openssl(
      [
        'pkeyutl',
        '-sign',
        '-inkey',
        'key.pem',
        '-rawin',
        '-digest',
        'sm3',
        ...DISTID,
        '-in',
        'msg.bin',
        '-out',
        'sig.der',
      ],
      { 'key.pem': pem, 'msg.bin': message },
      'sig.der',
    );
    expect(verify(publicKey, message, signatureFromDer(der))).toBe(true);
  });

  it('openssl reads our PKCS#8 and SPKI PEM', () => {
    const text = Buffer.from(
      openssl(['pkey', '-in', 'key.pem', '-text', '-noout'], { 'key.pem': privateKeyToPem(keys.privateKey) }),
    ).toString();
    expect(text.replace(/[\s:]/g, '')).toContain(keys.publicKey);
    const pub = Buffer.from(
      openssl(['pkey', '-pubin', '-in', 'pub.pem', '-text', '-noout'], { 'pub.pem': publicKeyToPem(keys.publicKey) }),
    ).toString();
    expect(pub.replace(/[\s:]/g, '')).toContain(keys.publicKey);
  });

  it('openssl decrypts our ciphertext, and we decrypt openssl ciphertext', () => {
    const plaintext = utf8('a 32-byte data key goes here!!!!');
    const ours = sm2CiphertextToAsn1(encrypt(keys.publicKey, plaintext));
    const decrypted = openssl(
      ['pkeyutl', '-decrypt', '-inkey', 'key.pem', '-in', 'ct.der', '-out', 'pt.bin'],
      { 'key.pem': privateKeyToPem(keys.privateKey), 'ct.der': ours },
      'pt.bin',
    );
    expect(toHex(decrypted)).toBe(toHex(plaintext));
    const theirs = openssl(
      ['pkeyutl', '-encrypt', '-pubin', '-inkey', 'pub.pem', '-in', 'pt.bin', '-out', 'ct.der'],
      { 'pub.pem': publicKeyToPem(keys.publicKey), 'pt.bin': plaintext },
      'ct.der',
    );
    expect(toHex(decrypt(keys.privateKey, sm2CiphertextFromAsn1(theirs)))).toBe(toHex(plaintext));
  });
});

describe('SM2 cross-checks with sm-crypto (both directions)', () => {
  it('sm-crypto verifies ours and we verify sm-crypto signatures', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 40 }), (text) => {
        const keys = generateKeyPair();
        const ours = toHex(sign(keys.privateKey, keys.publicKey, utf8(text)));
        expect(smCrypto.doVerifySignature(text, ours, keys.publicKey, { hash: true, der: false })).toBe(true);
        const theirs = smCrypto.doSignature(text, keys.privateKey, {
          hash: true,
          der: false,
          publicKey: keys.publicKey,
        });
        expect(verify(keys.publicKey, utf8(text), fromHex(theirs))).toBe(true);
      }),
      { numRuns: 10 },
    );
  });

  it('sm-crypto decrypts ours (C1C3C2) and we decrypt sm-crypto ciphertext', () => {
    const keys = generateKeyPair();
    const plaintext = 'data key 0123456789abcdef';
    const ours = toHex(encrypt(keys.publicKey, utf8(plaintext)));
    // sm-crypto omits the 04 prefix of C1; cipherMode 1 is C1C3C2.
    expect(smCrypto.doDecrypt(ours.slice(2), keys.privateKey, 1)).toBe(plaintext);
    const theirs = smCrypto.doEncrypt(plaintext, keys.publicKey, 1);
    expect(Buffer.from(decrypt(keys.privateKey, fromHex(`04${theirs}`))).toString()).toBe(plaintext);
  });

  it('sm-crypto derives the same public key', () => {
    const keys = generateKeyPair();
    expect(
      (smCrypto as unknown as { getPublicKeyFromPrivateKey(d: string): string }).getPublicKeyFromPrivateKey(
        keys.privateKey,
      ),
    ).toBe(keys.publicKey);
  });
});

describe('SM2 encryption', () => {
  const keys = generateKeyPair();

  it('round-trips random plaintexts', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 300 }), (plaintext) => {
        expect(toHex(decrypt(keys.privateKey, encrypt(keys.publicKey, plaintext)))).toBe(toHex(plaintext));
      }),
      { numRuns: 30 },
    );
  });

  it('rejects any single flipped bit in C1, C3 or C2', () => {
    const ciphertext = encrypt(keys.publicKey, utf8('wrapped key'));
    fc.assert(
      fc.property(fc.integer({ min: 8, max: ciphertext.length * 8 - 1 }), (bit) => {
        const tampered = ciphertext.slice();
        tampered[bit >> 3] = (tampered[bit >> 3] ?? 0) ^ (1 << (bit & 7));
        expect(() => decrypt(keys.privateKey, tampered)).toThrow(CiphertextError);
      }),
      { numRuns: 100 },
    );
  });

  it('refuses empty plaintext and short ciphertext, naming the argument', () => {
    expect(() => encrypt(keys.publicKey, new Uint8Array(0))).toThrow(new RangeError('plaintext must not be empty'));
    expect(() => decrypt(keys.privateKey, new Uint8Array(97))).toThrow(new CiphertextError('ciphertext is too short'));
  });
});

describe('SM2 keys', () => {
  it('PEM round-trips', () => {
    const keys = generateKeyPair();
    expect(privateKeyFromPem(privateKeyToPem(keys.privateKey))).toBe(keys.privateKey);
    expect(publicKeyFromPem(publicKeyToPem(keys.publicKey))).toBe(keys.publicKey);
  });

  it('refuses points off the curve and non-SM2 PEM', () => {
    expect(() => publicKeyToPem(`04${'11'.repeat(64)}`)).toThrow(RangeError);
    const p256 = Buffer.from(
      openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'], {}),
    ).toString();
    expect(() => privateKeyFromPem(p256)).toThrow(/not an SM2 key/);
  });
});
