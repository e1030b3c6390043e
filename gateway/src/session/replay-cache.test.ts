import { ReplayCache } from './replay-cache';

describe('replay cache', () => {
  it('refuses a nonce seen before, until it expires', () => {
    const cache = new ReplayCache(10);
    cache.claim('app', 'n1', 2000, 1000);
    expect(() => cache.claim('app', 'n1', 2000, 1500)).toThrow(expect.objectContaining({ code: 'NONCE_REPLAYED' }));
    cache.claim('app', 'n2', 2000, 1500);
  });

  it('when full, forgets the entry that expires first and refuses its replay, while fresh requests pass', () => {
    const cache = new ReplayCache(3);
    cache.claim('app', 'future', 1000 + 60_000, 1000); // a request dated into the future, long-lived
    cache.claim('app', 'soon', 1000 + 5_000, 1000);
    cache.claim('app', 'mid', 1000 + 30_000, 1000);
    // full: 'soon' (earliest expiry) is forgotten, the floor rises to its expiry
    cache.claim('app', 'honest-now', 1010 + 120_000, 1010);
    expect(() => cache.claim('app', 'soon', 1000 + 5_000, 1020)).toThrow(
      expect.objectContaining({ code: 'NONCE_REPLAYED', message: expect.stringMatching(/replay window/) }),
    );
    expect(() => cache.claim('app', 'future', 1000 + 60_000, 1020)).toThrow(expect.objectContaining({ code: 'NONCE_REPLAYED' }));
    // an honest request issued just before arrival is not refused by the floor
    cache.claim('app', 'honest-2', 1015 + 120_000, 1020);
  });

  it('keeps apps apart: one app filling its partition does not touch another’s', () => {
    const cache = new ReplayCache(2);
    for (let i = 0; i < 50; i++) cache.claim('noisy', `n${i}`, 100_000 + i, 1000);
    cache.claim('quiet', 'q1', 50_000, 1000);
    expect(() => cache.claim('quiet', 'q1', 50_000, 1001)).toThrow(expect.objectContaining({ code: 'NONCE_REPLAYED' }));
    cache.claim('quiet', 'q2', 50_001, 1001);
  });

  it('drops expired entries before evicting live ones', () => {
    const cache = new ReplayCache(2);
    cache.claim('app', 'a', 1100, 1000);
    cache.claim('app', 'b', 1200, 1000);
    cache.claim('app', 'c', 5000, 1300); // a and b expired: no eviction, no floor
    cache.claim('app', 'd', 1400, 1300);
  });
});
