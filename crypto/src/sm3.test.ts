// SPDX-License-Identifier: Apache-2.0
import fc from 'fast-check';
import { sm3 as smCryptoSm3 } from 'sm-crypto';
import vectors from '../../test/vectors/sm3.json';
import { fromHex, toHex, utf8 } from './bytes';
import { openssl } from './testing/openssl';
import { hmacSm3, sm3 } from './sm3';

describe('SM3 (GB/T 32905-2016)', () => {
  it.each(vectors.vectors)('$name', ({ messageUtf8, digest }) => {
    expect(toHex(sm3(utf8(messageUtf8)))).toBe(digest);
  });

  it('agrees with sm-crypto on random inputs', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (data) => {
        expect(toHex(sm3(data))).toBe(smCryptoSm3(Array.from(data)));
      }),
      { numRuns: 200 },
    );
  });

  it('agrees with the openssl CLI', () => {
    const data = utf8('medshare cross-check '.repeat(50));
    const out = Buffer.from(openssl(['dgst', '-sm3', '-r', 'in.bin'], { 'in.bin': data })).toString('utf8');
    expect(out.split(' ')[0]).toBe(toHex(sm3(data)));
  });

  it('HMAC-SM3 agrees with sm-crypto and openssl', () => {
    const key = fromHex('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f');
    const data = utf8('hmac over sm3');
    const ours = toHex(hmacSm3(key, data));
    expect(ours).toBe(smCryptoSm3(Array.from(data), { key: Array.from(key) }));
    const out = Buffer.from(
      openssl(['dgst', '-sm3', '-mac', 'HMAC', '-macopt', `hexkey:${toHex(key)}`, '-r', 'in.bin'], { 'in.bin': data }),
    ).toString('utf8');
    expect(out.split(' ')[0]).toBe(ours);
  });

  it('rejects non-bytes with a TypeError naming the argument', () => {
    expect(() => sm3('abc' as unknown as Uint8Array)).toThrow(new TypeError('data must be a Uint8Array'));
  });
});
