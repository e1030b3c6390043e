// SPDX-License-Identifier: Apache-2.0
import fc from 'fast-check';
import { compareKeys } from './composite-key';
import { fabricIdentity } from './identity';
import { MemoryLedger } from './memory-ledger';

const id = fabricIdentity('Org1MSP');
const utf8Order = (a: string, b: string): number => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
const bytes = (s: string): Uint8Array => new Uint8Array(Buffer.from(s));

// Code units near the places where UTF-16 and UTF-8 orders part: ASCII, the BMP's top, both surrogate halves.
const unit = fc.oneof(
  fc.constantFrom(0x00, 0x41, 0x7f, 0x80, 0x7ff, 0x800, 0xd7ff, 0xe000, 0xfffd, 0xffff),
  fc.integer({ min: 0xd800, max: 0xdfff }),
  fc.integer({ min: 0, max: 0xffff }),
);
const key = fc.array(unit, { maxLength: 6 }).map((units) => String.fromCharCode(...units));

describe('the order of keys (UTF-8 bytes, as LevelDB)', () => {
  it('is Buffer.compare of the UTF-8 encodings, lone and paired surrogates included', () => {
    fc.assert(
      fc.property(key, key, (a, b) => {
        expect(compareKeys(a, b)).toBe(utf8Order(a, b));
        expect(compareKeys(b + a, b + b)).toBe(utf8Order(b + a, b + b));
      }),
      { numRuns: 5000 },
    );
    expect(compareKeys('\uFFFF', '\u{10000}')).toBe(-1); // UTF-16 code units say the opposite
    expect(compareKeys('\uD800', '\uFFFD')).toBe(0); // a lone surrogate is written U+FFFD
    expect(compareKeys('a', 'ab')).toBe(-1);
  });

  it('keeps range queries in that order while commits add and delete keys (the sorted keys patched, not rebuilt)', async () => {
    const ledger = new MemoryLedger();
    await ledger.submit(id, (ctx) => ctx.stub.putState('m', bytes('m')));
    expect(ledger.entries().map(([k]) => k)).toEqual(['m']); // builds the sorted keys
    const live = new Set(['m']);
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(key, fc.boolean()), { minLength: 1, maxLength: 8 }), async (writes) => {
        const simple = writes.filter(([k]) => k !== '' && !k.startsWith('\u0000'));
        await ledger.submit(id, async (ctx) => {
          for (const [k, del] of simple) await (del ? ctx.stub.deleteState(k) : ctx.stub.putState(k, bytes('v')));
        });
        const final = new Map(simple);
        for (const [k, del] of final) {
          if (del) live.delete(k);
          else live.add(k);
        }
        // Only the order of distinct encodings is fixed: a lone surrogate and U+FFFD compare equal.
        const keys = ledger.entries().map(([k]) => k);
        expect(new Set(keys)).toEqual(live);
        for (let i = 1; i < keys.length; i++)
          expect(compareKeys(keys[i - 1] as string, keys[i] as string)).toBeLessThanOrEqual(0);
      }),
      { numRuns: 300 },
    );
  });

  it('lets a range being read lazily finish over the keys it started with while a commit adds one', async () => {
    const ledger = new MemoryLedger();
    await ledger.submit(id, async (ctx) => {
      for (const k of ['a', 'c', 'e']) await ctx.stub.putState(k, bytes(k));
    });
    const { result: seen } = await ledger.evaluate(id, async (ctx) => {
      const it = await ctx.stub.getStateByRange('', '');
      const out = [(await it.next()).value?.key];
      await ledger.submit(id, (other) => other.stub.putState('b', bytes('b')));
      for (let step = await it.next(); !step.done; step = await it.next()) out.push(step.value.key);
      return out;
    });
    expect(seen).toEqual(['a', 'c', 'e']);
    expect(ledger.entries().map(([k]) => k)).toEqual(['a', 'b', 'c', 'e']);
  });
});
