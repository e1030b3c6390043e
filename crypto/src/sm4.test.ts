// SPDX-License-Identifier: Apache-2.0
import fc from 'fast-check';
import { sm4 as smCryptoSm4 } from 'sm-crypto';
import vectors from '../../test/vectors/sm4.json';
import { fromHex, toHex } from './bytes';
import { openssl } from './testing/openssl';
import { CiphertextError } from './errors';
import { SEALED_OVERHEAD, open, seal } from './sealed-box';
import { sm4BlockEncryptor, sm4Ctr, sm4DecryptBlock, sm4EncryptBlock } from './sm4';

describe('SM4 (GB/T 32907-2016)', () => {
  it.each(vectors.vectors)('$name', ({ key, plaintext, ciphertext, rounds }) => {
    const k = fromHex(key);
    let block = fromHex(plaintext);
    const encryptBlock = rounds === 1 ? (b: Uint8Array) => sm4EncryptBlock(k, b) : sm4BlockEncryptor(k);
    for (let i = 0; i < rounds; i++) block = encryptBlock(block);
    expect(toHex(block)).toBe(ciphertext);
    if (rounds === 1) expect(toHex(sm4DecryptBlock(k, block))).toBe(plaintext);
  });

  it('block encryption agrees with sm-crypto on random keys and blocks', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        (key, block) => {
          const theirs = smCryptoSm4.encrypt(Array.from(block), Array.from(key), { padding: 'none', output: 'array' });
          expect(toHex(sm4EncryptBlock(key, block))).toBe(toHex(Uint8Array.from(theirs)));
        },
      ),
      { numRuns: 100 },
    );
  });

  it('SM4-CTR agrees with the openssl CLI in both directions', () => {
    const key = fromHex('00112233445566778899aabbccddeeff');
    const iv = fromHex('ffeeddccbbaa99887766554433221100');
    const data = new Uint8Array(1000).map((_, i) => (i * 7) & 0xff);
    const theirs = openssl(
      ['enc', '-sm4-ctr', '-K', toHex(key), '-iv', toHex(iv), '-in', 'in.bin', '-out', 'out.bin'],
      { 'in.bin': data },
      'out.bin',
    );
    expect(toHex(sm4Ctr(key, iv, data))).toBe(toHex(theirs));
    const back = openssl(
      ['enc', '-d', '-sm4-ctr', '-K', toHex(key), '-iv', toHex(iv), '-in', 'in.bin', '-out', 'out.bin'],
      { 'in.bin': sm4Ctr(key, iv, data) },
      'out.bin',
    );
    expect(toHex(back)).toBe(toHex(data));
  });
});

describe('sealed box (SM4-CTR + HMAC-SM3, encrypt-then-MAC)', () => {
  const key = fromHex('0f0e0d0c0b0a090807060504030201000f0e0d0c0b0a09080706050403020100');

  it('round-trips any plaintext and AAD', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), fc.uint8Array({ maxLength: 64 }), (plaintext, aad) => {
        const sealed = seal(key, plaintext, aad);
        expect(sealed.length).toBe(plaintext.length + SEALED_OVERHEAD);
        expect(toHex(open(key, sealed, aad))).toBe(toHex(plaintext));
      }),
    );
  });

  it('rejects any single flipped bit in version, IV, ciphertext or tag', () => {
    const sealed = seal(key, new Uint8Array(40).fill(7), fromHex('aabb'));
    fc.assert(
      fc.property(fc.integer({ min: 0, max: sealed.length * 8 - 1 }), (bit) => {
        const tampered = sealed.slice();
        tampered[bit >> 3] = (tampered[bit >> 3] ?? 0) ^ (1 << (bit & 7));
        expect(() => open(key, tampered, fromHex('aabb'))).toThrow(CiphertextError);
      }),
      { numRuns: 300 },
    );
  });

  it('rejects a wrong AAD, a wrong key and truncation', () => {
    const sealed = seal(key, fromHex('00112233'), fromHex('01'));
    expect(() => open(key, sealed, fromHex('02'))).toThrow(CiphertextError);
    expect(() => open(new Uint8Array(32), sealed, fromHex('01'))).toThrow(CiphertextError);
    expect(() => open(key, sealed.subarray(0, SEALED_OVERHEAD - 1), fromHex('01'))).toThrow(CiphertextError);
  });

  it('never uses subkeys cached for a key array whose bytes changed since', () => {
    const k = key.slice();
    const flipFirstBit = (a: Uint8Array): void => {
      a[0] = (a[0] ?? 0) ^ 1;
    };
    const sealed = seal(k, fromHex('0102'));
    flipFirstBit(k);
    expect(() => open(k, sealed)).toThrow(CiphertextError);
    flipFirstBit(k);
    expect(toHex(open(k, sealed))).toBe('0102');
  });

  it('names the argument on bad key length', () => {
    expect(() => seal(new Uint8Array(16), new Uint8Array(1))).toThrow(new RangeError('key must be 32 bytes, got 16'));
  });
});
