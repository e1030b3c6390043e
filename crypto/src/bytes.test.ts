// SPDX-License-Identifier: Apache-2.0
import fc from 'fast-check';
import { fromBase64, isBase64Text, toBase64 } from './bytes';

const PATTERN = /^[A-Za-z0-9+/]*={0,2}$/;
// Texts near the pattern's edges: its alphabet, "=" anywhere, base64url, whitespace, non-ASCII.
const text = fc
  .array(fc.constantFrom('A', 'z', '0', '+', '/', '=', '-', '_', ' ', '\n', 'é', '\u{1F600}'), { maxLength: 12 })
  .map((chars) => chars.join(''));

describe('base64 text', () => {
  it('isBase64Text answers as /^[A-Za-z0-9+/]*={0,2}$/ does', () => {
    fc.assert(
      fc.property(text, (t) => {
        expect(isBase64Text(t)).toBe(PATTERN.test(t));
      }),
      { numRuns: 20_000 },
    );
    fc.assert(fc.property(fc.uint8Array({ maxLength: 40 }), (b) => expect(isBase64Text(toBase64(b))).toBe(true)));
    for (const t of ['', 'QQ==', 'QUI=', 'QUJD', '=', '==', 'Q=Q=', 'QQ===', 'QQ==\n', 'a-b_'])
      expect(isBase64Text(t)).toBe(PATTERN.test(t));
  });

  it('fromBase64 takes exactly the canonical padded texts, and words each refusal as before', () => {
    fc.assert(
      fc.property(text, (t) => {
        const canonical = t.length % 4 === 0 && PATTERN.test(t) && Buffer.from(t, 'base64').toString('base64') === t;
        if (canonical) expect(toBase64(fromBase64(t))).toBe(t);
        else {
          const message =
            t.length % 4 !== 0 || !PATTERN.test(t) ? 'x must be padded standard base64' : 'x is not canonical base64';
          expect(() => fromBase64(t, 'x')).toThrow(new RangeError(message));
        }
      }),
      { numRuns: 4_000 },
    );
    expect(() => fromBase64('QR==', 'x')).toThrow('x is not canonical base64');
    expect(() => fromBase64('a-b_', 'x')).toThrow('x must be padded standard base64');
  });
});
