// SPDX-License-Identifier: Apache-2.0
import { randomBytes } from 'node:crypto';
import { FILE_TOKEN, fail } from '@medshare/protocol';

/**
 * Bearer tokens for the large-file routes (docs/protocol.md §17): 32 random bytes, each bound to
 * what the gateway issued it for (an upload, a committed view) and valid until `expiresAt`. The
 * oldest tokens are forgotten beyond `max`, so a flood of begun uploads costs bounded memory.
 */
export class FileTokens<S extends { readonly expiresAt: number }> {
  readonly #tokens = new Map<string, S>();

  constructor(private readonly max = 100_000) {}

  issue(state: S, now: number): string {
    this.sweep(now);
    const token = randomBytes(32).toString('hex');
    this.#tokens.set(token, state);
    if (this.#tokens.size > this.max) this.#tokens.delete(this.#tokens.keys().next().value as string);
    return token;
  }

  /** The token's state; FILE_TOKEN_INVALID when unknown or expired. */
  resolve(token: string | undefined, now: number): S {
    const state = token !== undefined && FILE_TOKEN.test(token) ? this.#tokens.get(token) : undefined;
    if (!state) throw fail('FILE_TOKEN_INVALID', 'this route needs a live token the gateway issued for it');
    if (state.expiresAt <= now) {
      this.#tokens.delete(token as string);
      throw fail('FILE_TOKEN_INVALID', 'the token has expired');
    }
    return state;
  }

  /** Resolves and forgets the token: a one-use token. */
  take(token: string | undefined, now: number): S {
    const state = this.resolve(token, now);
    this.#tokens.delete(token as string);
    return state;
  }

  /** Forgets the token (its upload was claimed, or ended). */
  revoke(token: string): void {
    this.#tokens.delete(token);
  }

  sweep(now: number): void {
    for (const [token, state] of this.#tokens) if (state.expiresAt <= now) this.#tokens.delete(token);
  }
}
