// SPDX-License-Identifier: Apache-2.0
import { createHash, randomBytes } from 'node:crypto';
import { expand_message_xmd } from '@noble/curves/abstract/hash-to-curve';
import { bytesToBigInt, concatBytes, utf8 } from '../bytes';
import { nobleHash } from '../testing/noble-hash';
import { SM2_N } from './curve';
import {
  expandMessageXmd,
  framed,
  hashToScalar,
  prefixedHashToScalar,
  XMD_SM3,
  XmdPrefix,
  type XmdHash,
} from './hash-to-field';

const XMD_SHA256: XmdHash = { name: 'sha256', outputBytes: 32, blockBytes: 64 };
const sm3Chash = nobleHash('sm3');
const sha256Chash = nobleHash('sha256');

/** RFC 9380 §5.3.1 step by step, written out here as a third reading of the text. */
function xmdFromTheRfc(hashName: string, msg: Uint8Array, dst: Uint8Array, length: number): Uint8Array {
  const H = (data: Uint8Array): Uint8Array => new Uint8Array(createHash(hashName).update(data).digest());
  const ell = Math.ceil(length / 32);
  const dstPrime = concatBytes(dst, Uint8Array.of(dst.length));
  const msgPrime = concatBytes(
    new Uint8Array(64),
    msg,
    Uint8Array.of(length >> 8, length & 0xff),
    Uint8Array.of(0),
    dstPrime,
  );
  const b0 = H(msgPrime);
  const b = [H(concatBytes(b0, Uint8Array.of(1), dstPrime))];
  for (let i = 2; i <= ell; i++) {
    const x = b0.map((v, j) => v ^ (b[i - 2] as Uint8Array)[j]!);
    b.push(H(concatBytes(x, Uint8Array.of(i), dstPrime)));
  }
  return concatBytes(...b).subarray(0, length);
}

describe('expand_message_xmd (RFC 9380 §5.3.1)', () => {
  const messages = ['', 'abc', 'abcdef0123456789', `q128_${'q'.repeat(128)}`, `a512_${'a'.repeat(512)}`].map(utf8);

  it("matches RFC 9380 §K.1's SHA-256 known answers", () => {
    // RFC 9380 Appendix K.1, DST = "QUUX-V01-CS02-with-expander-SHA256-128".
    const dst = utf8('QUUX-V01-CS02-with-expander-SHA256-128');
    const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
    expect(hex(expandMessageXmd(XMD_SHA256, utf8(''), dst, 0x20))).toBe(
      '68a985b87eb6b46952128911f2a4412bbc302a9d759667f87f7a21d803f07235',
    );
    expect(hex(expandMessageXmd(XMD_SHA256, utf8('abc'), dst, 0x20))).toBe(
      'd8ccab23b5985ccea865c6c97b6e5b8350e794e603b4b97902f53a8a0d605615',
    );
  });

  it.each([
    ['SHA-256', XMD_SHA256, sha256Chash],
    ['SM3', XMD_SM3, sm3Chash],
  ])('agrees with noble and with the RFC text for %s over lengths and DSTs', (_, hash, chash) => {
    const dsts = [utf8('QUUX-V01-CS02-with-expander-SM3-128'), utf8('x'), new Uint8Array(255).fill(0x61)];
    for (const msg of messages)
      for (const dst of dsts)
        for (const length of [1, 31, 32, 33, 48, 96, 128, 255, 8128, 8160]) {
          const ours = expandMessageXmd(hash, msg, dst, length);
          expect(ours).toEqual(xmdFromTheRfc(hash.name, msg, dst, length));
          // noble 1.9.7 computes one block more than ell and so refuses ell = 255 (8160 bytes).
          if (length < 8160) expect(ours).toEqual(new Uint8Array(expand_message_xmd(msg, dst, length, chash)));
        }
  });

  it('refuses lengths the RFC refuses and DSTs longer than 255 bytes', () => {
    const dst = utf8('d');
    expect(() => expandMessageXmd(XMD_SM3, utf8('m'), dst, 0)).toThrow(RangeError);
    expect(() => expandMessageXmd(XMD_SM3, utf8('m'), dst, 255 * 32 + 1)).toThrow(RangeError);
    expect(() => expandMessageXmd(XMD_SM3, utf8('m'), dst, 1.5)).toThrow(RangeError);
    expect(() => expandMessageXmd(XMD_SM3, utf8('m'), new Uint8Array(256), 32)).toThrow(RangeError);
  });

  it('a kept prefix state gives what hashing the whole message gives, reused any number of times', () => {
    const prefix = [new Uint8Array(randomBytes(1000)), new Uint8Array(randomBytes(7))];
    const absorbed = new XmdPrefix(XMD_SM3, prefix);
    const dst = utf8('medshare/v1/test');
    for (let i = 0; i < 5; i++) {
      const suffix = [new Uint8Array(randomBytes(33)), new Uint8Array(randomBytes(i))];
      expect(absorbed.expand(suffix, dst, 48)).toEqual(
        expandMessageXmd(XMD_SM3, concatBytes(...prefix, ...suffix), dst, 48),
      );
    }
  });
});

describe('hash to scalar (docs/protocol.md §15, §18)', () => {
  it('is OS2IP(expand_message_xmd_SM3(framed(parts), dst, 48)) mod n, with 4-byte big-endian lengths', () => {
    const parts = [utf8('a'), new Uint8Array(0), new Uint8Array(300).fill(7)];
    const dst = utf8('medshare/v1/ring/challenge');
    const frame = concatBytes(
      Uint8Array.of(0, 0, 0, 1),
      utf8('a'),
      Uint8Array.of(0, 0, 0, 0),
      Uint8Array.of(0, 0, 1, 44),
      new Uint8Array(300).fill(7),
    );
    expect(framed(parts)).toEqual(frame);
    const expected = bytesToBigInt(expand_message_xmd(frame, dst, 48, sm3Chash)) % SM2_N;
    expect(hashToScalar(dst, parts)).toBe(expected);
  });

  it('the prefixed form equals hashing prefix and suffix together, and framing keeps parts apart', () => {
    const dst = utf8('medshare/v1/ring/challenge');
    const prefix = [new Uint8Array(randomBytes(65 * 16)), utf8('scope'), new Uint8Array(randomBytes(33))];
    const hash = prefixedHashToScalar(dst, prefix);
    const suffix = [new Uint8Array(randomBytes(33)), new Uint8Array(randomBytes(33))];
    expect(hash(suffix)).toBe(hashToScalar(dst, [...prefix, ...suffix]));
    // "ab" ‖ "c" and "a" ‖ "bc" are different inputs.
    expect(hashToScalar(dst, [utf8('ab'), utf8('c')])).not.toBe(hashToScalar(dst, [utf8('a'), utf8('bc')]));
    // Another DST, another function.
    expect(hashToScalar(utf8('medshare/v1/ring/nonce'), suffix)).not.toBe(hashToScalar(dst, suffix));
  });
});
