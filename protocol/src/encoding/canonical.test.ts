// SPDX-License-Identifier: Apache-2.0
import fc from 'fast-check';
import jcs from 'canonicalize';
import { newRequest, parseRequest } from '../messages/request';
import { canonicalize, canonicalizeData } from './canonical';

/** Random JSON with numbers from `numbers`, written by `write` as the `canonicalize` package writes it. */
function agreesWithJcs(write: (value: unknown) => string, numbers: fc.Arbitrary<number>): void {
  const json = fc.letrec((tie) => ({
    value: fc.oneof(
      { depthSize: 'small' },
      fc.constant(null),
      fc.boolean(),
      numbers,
      fc.string({ unit: 'grapheme' }),
      fc.array(tie('value'), { maxLength: 4 }),
      fc.dictionary(fc.string({ unit: 'grapheme' }), tie('value'), { maxKeys: 4 }),
    ),
  })).value;
  fc.assert(
    fc.property(json, (value) => {
      expect(write(value)).toBe(jcs(value));
    }),
    { numRuns: 500 },
  );
}

describe('canonical JSON (RFC 8785, integers only)', () => {
  it('sorts keys by UTF-16 code units and escapes like JSON.stringify (RFC 8785 §3.2.3 example order)', () => {
    const value = {
      '\u20ac': 'Euro Sign',
      '\r': 'Carriage Return',
      '\ufb33': 'Hebrew Letter Dalet With Dagesh',
      '1': 'One',
      '\ud83d\ude00': 'Emoji: Grinning Face',
      '\u0080': 'Control',
      '\u00f6': 'Latin Small Letter O With Diaeresis',
    };
    expect(canonicalize(value)).toBe(
      '{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis","\u20ac":"Euro Sign","\ud83d\ude00":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
    );
  });

  it('agrees with the independent `canonicalize` package on random JSON', () => {
    agreesWithJcs(canonicalize, fc.maxSafeInteger());
  });

  it('refuses what has no single canonical form, naming the path', () => {
    expect(() => canonicalize({ a: 1.5 })).toThrow(new RangeError('$.a: only safe integers are allowed, got 1.5'));
    expect(() => canonicalize({ a: [2 ** 53] })).toThrow(/\$\.a\[0\]: only safe integers/);
    expect(() => canonicalize({ a: undefined })).toThrow(new TypeError('$.a: undefined is not allowed'));
    expect(() => canonicalize({ a: new Date(0) })).toThrow(new TypeError('$.a: only plain objects are allowed'));
    expect(() => canonicalize('\ud800')).toThrow(/lone surrogate/);
    expect(() => canonicalize(10n)).toThrow(TypeError);
  });
});

describe('canonical data JSON (RFC 8785 with every finite number)', () => {
  it('agrees with the independent `canonicalize` package on random JSON with fractions', () => {
    agreesWithJcs(canonicalizeData, fc.double({ noNaN: true, noDefaultInfinity: true }));
  });

  it('writes RFC 8785 §3.2.2.3 numbers and refuses the non-finite', () => {
    expect(canonicalizeData({ b: 5.6, a: -0, c: 1e21, d: 1e-7 })).toBe('{"a":0,"b":5.6,"c":1e+21,"d":1e-7}');
    expect(() => canonicalizeData({ a: Number.NaN })).toThrow(/\$\.a: only finite numbers/);
    expect(() => canonicalizeData([Number.POSITIVE_INFINITY])).toThrow(RangeError);
  });
});

describe('canonical text written once for parsed requests', () => {
  const parsed = (): ReturnType<typeof parseRequest> =>
    parseRequest(
      JSON.parse(
        JSON.stringify(
          newRequest({
            op: 'list-records',
            body: { pageSize: 10, bookmark: '' },
            appId: 'app.example',
            keyId: 'a'.repeat(64),
            now: 1_700_000_000_000,
          }),
        ),
      ),
    );

  it('is the text canonicalize writes for an equal unfrozen copy, alone and inside {request, sig1}', () => {
    const request = parsed();
    const copy = JSON.parse(JSON.stringify(request)) as unknown;
    for (let i = 0; i < 2; i++) {
      expect(canonicalize(request)).toBe(canonicalize(copy));
      expect(canonicalize({ request, sig1: 'ab' })).toBe(canonicalize({ request: copy, sig1: 'ab' }));
      expect(canonicalize(request)).toBe(jcs(copy));
    }
  });

  it('cannot go stale: a parsed request is deep-frozen, so writing to it throws and its text stays', () => {
    const request = parsed();
    const text = canonicalize(request);
    expect(Object.isFrozen(request) && Object.isFrozen(request.body)).toBe(true);
    expect(() => {
      (request as { nonce: string }).nonce = '0'.repeat(32);
    }).toThrow(TypeError);
    expect(() => {
      (request.body as { pageSize: number }).pageSize = 50;
    }).toThrow(TypeError);
    expect(canonicalize(request)).toBe(text);
    // Objects that were never parsed are written afresh each time.
    const plain = { a: 1 };
    canonicalize(plain);
    plain.a = 2;
    expect(canonicalize(plain)).toBe('{"a":2}');
  });
});
