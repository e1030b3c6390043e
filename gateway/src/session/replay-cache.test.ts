// SPDX-License-Identifier: Apache-2.0
import { ReplayCache } from './replay-cache';

const replayed = (message?: RegExp): unknown =>
  expect.objectContaining({
    code: 'NONCE_REPLAYED',
    ...(message ? { message: expect.stringMatching(message) as string } : {}),
  });

describe('replay cache', () => {
  it('keys claims by actor: a key actor is its key id; ring actors of one key image share nonces only within a scope', () => {
    const cache = new ReplayCache(10);
    const key = { kind: 'key', keyId: 'a'.repeat(64) } as const;
    cache.claimFor('app', key, 'n1', 2000, 1000);
    expect(() => cache.claimFor('app', key, 'n1', 2000, 1100)).toThrow(replayed(/already used/) as Error);
    expect(() => cache.claim('app', `key:${'a'.repeat(64)}`, 'n1', 2000, 1100)).toThrow(replayed() as Error);
    expect(() => cache.claimFor('app', { kind: 'key', keyId: 'b'.repeat(64) }, 'n1', 2000, 1100)).not.toThrow();
    const ring = { kind: 'ring', keyImage: 'c'.repeat(66), scope: 'study-1' } as const;
    cache.claimFor('app', ring, 'n1', 2000, 1000);
    expect(() => cache.claimFor('app', ring, 'n1', 2000, 1100)).toThrow(replayed() as Error);
    expect(() => cache.claimFor('app', { ...ring, scope: 'study-2' }, 'n1', 2000, 1100)).not.toThrow();
  });

  it('refuses a nonce seen before, until it expires', () => {
    const cache = new ReplayCache(10);
    cache.claim('app', 'alice', 'n1', 2000, 1000);
    expect(() => cache.claim('app', 'alice', 'n1', 2000, 1500)).toThrow(replayed(/already used/) as Error);
    expect(() => cache.claim('app', 'alice', 'n2', 2000, 1500)).not.toThrow();
    expect(() => cache.claim('app', 'alice', 'n1', 4000, 2500)).not.toThrow(); // the first n1 expired at 2000
  });

  it('when an app is full, the client with the most entries loses its earliest one and its replay is refused; fresh requests pass', () => {
    const cache = new ReplayCache(3);
    cache.claim('app', 'mallory', 'future', 1000 + 60_000, 1000);
    cache.claim('app', 'mallory', 'soon', 1000 + 5_000, 1000);
    cache.claim('app', 'alice', 'a1', 1000 + 30_000, 1000);
    cache.claim('app', 'mallory', 'again', 1010 + 120_000, 1010); // full: mallory's 'soon' is forgotten
    expect(() => cache.claim('app', 'mallory', 'soon', 1000 + 5_000, 1020)).toThrow(replayed(/replay window/) as Error);
    expect(() => cache.claim('app', 'mallory', 'future', 1000 + 60_000, 1020)).toThrow(replayed() as Error);
    expect(() => cache.claim('app', 'alice', 'a1', 1000 + 30_000, 1020)).toThrow(replayed(/already used/) as Error);
    expect(() => cache.claim('app', 'mallory', 'honest-looking', 1015 + 120_000, 1020)).not.toThrow();
  });

  it('one client filling its app with long-lived requests does not refuse other clients (issue: 53 requests locked an app out)', () => {
    const cache = new ReplayCache(50);
    const now = 1_000_000;
    const refusedMallory: number[] = [];
    for (let i = 0; i < 53; i++) {
      try {
        cache.claim('app', 'key:mallory', `m${i}`, now + 5 * 60_000, now);
      } catch (error) {
        // once full, mallory's own same-expiry requests hit mallory's floor, and only that refuses them
        expect(error).toEqual(replayed(/replay window/));
        refusedMallory.push(i);
      }
    }
    expect(refusedMallory).toEqual([51, 52]);
    // another client of the same app, with the SDK's 2-minute lifetime (earlier than mallory's floor): every one accepted
    for (let i = 0; i < 10; i++)
      expect(() => cache.claim('app', 'key:alice', `a${i}`, now + 1 + 2 * 60_000, now + 1)).not.toThrow();
    expect(() => cache.claim('app', 'key:alice', 'a3', now + 1 + 2 * 60_000, now + 2)).toThrow(
      replayed(/already used/) as Error,
    );
    // session handshakes are their own client too
    expect(() => cache.claim('app', 'session-handshake', 's1', now + 60_000, now + 2)).not.toThrow();
    // mallory's own short-lived replays stay refused
    expect(() => cache.claim('app', 'key:mallory', 'm0', now + 5 * 60_000, now + 3)).toThrow(replayed() as Error);
  });

  it('keeps apps apart: one app filling its entries does not touch another’s', () => {
    const cache = new ReplayCache(2);
    for (let i = 0; i < 50; i++) cache.claim('noisy', 'x', `n${i}`, 100_000 + i, 1000);
    cache.claim('quiet', 'q', 'q1', 50_000, 1000);
    expect(() => cache.claim('quiet', 'q', 'q1', 50_000, 1001)).toThrow(replayed() as Error);
    cache.claim('quiet', 'q', 'q2', 50_001, 1001);
  });

  it('drops expired entries, of every client, before evicting live ones', () => {
    const cache = new ReplayCache(2);
    cache.claim('app', 'bob', 'a', 1100, 1000);
    cache.claim('app', 'carol', 'b', 1200, 1000);
    // at 3000 both expired: making room sweeps them, so nobody is evicted and no floor rises
    cache.claim('app', 'bob', 'c', 5000, 3000);
    cache.claim('app', 'bob', 'd', 4000, 3000);
    cache.claim('app', 'dave', 'e', 4500, 3000); // full now: bob (the largest) loses 'd' (expires first)
    expect(() => cache.claim('app', 'bob', 'late', 4000, 3001)).toThrow(replayed(/replay window/) as Error);
    cache.claim('app', 'carol', 'f', 3900, 3001); // carol's floor never rose
  });
});
