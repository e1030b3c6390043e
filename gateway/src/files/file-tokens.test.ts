// SPDX-License-Identifier: Apache-2.0
import { FileTokens } from './file-tokens';

const NOW = 1_000_000;

describe('FileTokens', () => {
  it('issues 32 random bytes (hex) per token, each resolving to its own state', () => {
    const tokens = new FileTokens<{ expiresAt: number; n: number }>();
    const a = tokens.issue({ expiresAt: NOW + 10, n: 1 }, NOW);
    const b = tokens.issue({ expiresAt: NOW + 10, n: 2 }, NOW);
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(a).not.toBe(b);
    expect(tokens.resolve(a, NOW).n).toBe(1);
    expect(tokens.resolve(b, NOW + 9).n).toBe(2);
    // resolve() does not spend a token
    expect(tokens.resolve(a, NOW).n).toBe(1);
  });

  it.each([
    ['no token', undefined],
    ['an empty one', ''],
    ['one of another shape', 'Bearer abc'],
    ['upper-case hex', 'AB'.repeat(32)],
    ['an unknown one', 'ab'.repeat(32)],
  ])('refuses %s with FILE_TOKEN_INVALID', (_what, token) => {
    const tokens = new FileTokens<{ expiresAt: number }>();
    const issued = tokens.issue({ expiresAt: NOW + 10 }, NOW);
    expect(() => tokens.resolve(token, NOW)).toThrow(expect.objectContaining({ code: 'FILE_TOKEN_INVALID' }));
    expect(() => tokens.take(token, NOW)).toThrow(expect.objectContaining({ code: 'FILE_TOKEN_INVALID' }));
    // the issued token is untouched by the refusals
    expect(tokens.resolve(issued, NOW)).toEqual({ expiresAt: NOW + 10 });
  });

  it('refuses an expired token (at expiresAt, not before) and forgets it', () => {
    const tokens = new FileTokens<{ expiresAt: number }>();
    const token = tokens.issue({ expiresAt: NOW + 10 }, NOW);
    expect(tokens.resolve(token, NOW + 9)).toBeDefined();
    expect(() => tokens.resolve(token, NOW + 10)).toThrow(
      expect.objectContaining({ code: 'FILE_TOKEN_INVALID', message: expect.stringContaining('expired') }),
    );
    // forgotten: even an earlier clock no longer finds it
    expect(() => tokens.resolve(token, NOW)).toThrow(expect.objectContaining({ code: 'FILE_TOKEN_INVALID' }));
  });

  it('take() spends a token; revoke() forgets one', () => {
    const tokens = new FileTokens<{ expiresAt: number }>();
    const once = tokens.issue({ expiresAt: NOW + 10 }, NOW);
    expect(tokens.take(once, NOW)).toEqual({ expiresAt: NOW + 10 });
    expect(() => tokens.take(once, NOW)).toThrow(expect.objectContaining({ code: 'FILE_TOKEN_INVALID' }));
    const revoked = tokens.issue({ expiresAt: NOW + 10 }, NOW);
    tokens.revoke(revoked);
    tokens.revoke(revoked);
    expect(() => tokens.resolve(revoked, NOW)).toThrow(expect.objectContaining({ code: 'FILE_TOKEN_INVALID' }));
  });

  it('sweeps expired tokens when issuing and forgets the oldest beyond its bound (bounded memory)', () => {
    const tokens = new FileTokens<{ expiresAt: number; n: number }>(3);
    const short = tokens.issue({ expiresAt: NOW + 1, n: 0 }, NOW);
    const kept = [1, 2, 3].map((n) => tokens.issue({ expiresAt: NOW + 100, n }, NOW + 1));
    // the expired one was swept by the later issues, so the three live ones all fit
    expect(() => tokens.resolve(short, NOW)).toThrow(expect.objectContaining({ code: 'FILE_TOKEN_INVALID' }));
    expect(kept.map((t) => tokens.resolve(t, NOW + 2).n)).toEqual([1, 2, 3]);
    const fourth = tokens.issue({ expiresAt: NOW + 100, n: 4 }, NOW + 2);
    expect(() => tokens.resolve(kept[0], NOW + 2)).toThrow(expect.objectContaining({ code: 'FILE_TOKEN_INVALID' }));
    expect(tokens.resolve(fourth, NOW + 2).n).toBe(4);
    tokens.sweep(NOW + 100);
    expect(() => tokens.resolve(fourth, NOW)).toThrow(expect.objectContaining({ code: 'FILE_TOKEN_INVALID' }));
  });
});
