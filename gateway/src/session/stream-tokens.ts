// SPDX-License-Identifier: Apache-2.0
import { randomBytes } from 'node:crypto';
import { STREAM_TOKEN, fail } from '@medshare/protocol';

export interface StreamGrantState {
  readonly keyId: string;
  readonly appId: string;
  readonly sessionId: string;
  readonly expiresAt: number;
}

/** How many live tokens one session may hold (one per subscribed user is the normal case). */
const TOKENS_PER_SESSION = 64;

/**
 * Event-stream tokens: 32 random bytes, each bound to the user key whose sig1 earned it, the app
 * and the session, and valid until the session expires. A token may open the stream again (a
 * reconnect with Last-Event-ID) until then. Bounded per session: the oldest is forgotten.
 */
export class StreamTokens {
  readonly #tokens = new Map<string, StreamGrantState>();
  readonly #bySession = new Map<string, string[]>();

  issue(grant: StreamGrantState, now: number): string {
    this.sweep(now);
    const token = randomBytes(32).toString('hex');
    this.#tokens.set(token, grant);
    const list = this.#bySession.get(grant.sessionId) ?? [];
    list.push(token);
    if (list.length > TOKENS_PER_SESSION) this.#tokens.delete(list.shift() as string);
    this.#bySession.set(grant.sessionId, list);
    return token;
  }

  resolve(token: string | undefined, now: number): StreamGrantState {
    const grant = token !== undefined && STREAM_TOKEN.test(token) ? this.#tokens.get(token) : undefined;
    if (!grant)
      throw fail('STREAM_TOKEN_INVALID', 'the event stream needs a stream token from a signed subscribe request');
    if (grant.expiresAt <= now) {
      this.#tokens.delete(token as string);
      throw fail('STREAM_TOKEN_INVALID', 'the stream token has expired');
    }
    return grant;
  }

  get size(): number {
    return this.#tokens.size;
  }

  sweep(now: number): void {
    for (const [token, grant] of this.#tokens) {
      if (grant.expiresAt > now) continue;
      this.#tokens.delete(token);
      this.#bySession.delete(grant.sessionId);
    }
  }
}
