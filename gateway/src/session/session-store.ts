// SPDX-License-Identifier: Apache-2.0
import { randomBytes } from 'node:crypto';
import { fail } from '@medshare/protocol';

export interface Session {
  readonly sessionId: string;
  readonly appId: string;
  /** 32-byte sealed-box key; never logged, never leaves this process except SM2-encrypted once. */
  readonly key: Uint8Array;
  readonly expiresAt: number;
}

/**
 * Open sessions, bounded per app (the oldest is not evicted: a full app gets SESSION_LIMIT until
 * sessions expire, so one app cannot push out another's). Expired sessions are swept lazily.
 */
export class SessionStore {
  readonly #sessions = new Map<string, Session>();
  readonly #perApp = new Map<string, number>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxPerApp: number,
  ) {}

  open(appId: string, now: number): Session {
    this.sweep(now);
    const count = this.#perApp.get(appId) ?? 0;
    if (count >= this.maxPerApp)
      throw fail('SESSION_LIMIT', `app ${appId} has ${count} open sessions (limit ${this.maxPerApp})`);
    const session: Session = {
      sessionId: randomBytes(16).toString('hex'),
      appId,
      key: new Uint8Array(randomBytes(32)),
      expiresAt: now + this.ttlMs,
    };
    this.#sessions.set(session.sessionId, session);
    this.#perApp.set(appId, count + 1);
    return session;
  }

  get(sessionId: string, now: number): Session {
    const session = this.#sessions.get(sessionId);
    if (!session) throw fail('SESSION_UNKNOWN', 'unknown session');
    if (session.expiresAt <= now) {
      this.#drop(session);
      throw fail('SESSION_UNKNOWN', 'the session expired');
    }
    return session;
  }

  get size(): number {
    return this.#sessions.size;
  }

  sweep(now: number): void {
    for (const session of this.#sessions.values()) if (session.expiresAt <= now) this.#drop(session);
  }

  #drop(session: Session): void {
    if (this.#sessions.delete(session.sessionId))
      this.#perApp.set(session.appId, (this.#perApp.get(session.appId) ?? 1) - 1);
  }
}
