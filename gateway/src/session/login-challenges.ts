// SPDX-License-Identifier: Apache-2.0
import { randomBytes } from 'node:crypto';
import { canonicalize, fail, type LoginChallenge } from '@medshare/protocol';

/** How many live challenges one session may hold; the oldest is forgotten beyond it. */
const CHALLENGES_PER_SESSION = 16;
/** How many live challenges in all; the oldest is forgotten beyond it. */
const MAX_CHALLENGES = 100_000;

/**
 * Login challenges (docs/protocol.md §7.7): each a 32-byte random nonce bound to a session, its
 * app and a key, valid for a minute, taken at most once. Kept in memory only: a restart forgets
 * them, and the user asks again. Bounded per session and in all, so a flood costs bounded memory.
 */
export class LoginChallenges {
  readonly #challenges = new Map<string, LoginChallenge>();
  /** Each session's live nonces, oldest first. */
  readonly #bySession = new Map<string, string[]>();

  issue(fields: Omit<LoginChallenge, 'v' | 'nonce'>, now: number): LoginChallenge {
    this.sweep(now);
    const challenge: LoginChallenge = { v: 1, nonce: randomBytes(32).toString('hex'), ...fields };
    const ofSession = this.#bySession.get(fields.sessionId) ?? [];
    if (ofSession.length >= CHALLENGES_PER_SESSION) this.#forget(ofSession[0] as string);
    if (this.#challenges.size >= MAX_CHALLENGES) this.#forget(this.#challenges.keys().next().value as string);
    this.#challenges.set(challenge.nonce, challenge);
    this.#bySession.set(fields.sessionId, [...(this.#bySession.get(fields.sessionId) ?? []), challenge.nonce]);
    return challenge;
  }

  #forget(nonce: string): void {
    const challenge = this.#challenges.get(nonce);
    if (!challenge) return;
    this.#challenges.delete(nonce);
    const rest = (this.#bySession.get(challenge.sessionId) ?? []).filter((n) => n !== nonce);
    if (rest.length > 0) this.#bySession.set(challenge.sessionId, rest);
    else this.#bySession.delete(challenge.sessionId);
  }

  /**
   * Takes the challenge `presented` names, for `sessionId`: one attempt per challenge, whatever
   * its outcome. LOGIN_CHALLENGE_INVALID when it was never issued (or was forgotten), was taken
   * already, has expired, belongs to another session or differs from the one issued.
   */
  take(presented: LoginChallenge, sessionId: string, now: number): LoginChallenge {
    const issued = this.#challenges.get(presented.nonce);
    if (!issued)
      throw fail('LOGIN_CHALLENGE_INVALID', 'the login challenge is unknown or was already used: ask for a new one');
    if (issued.sessionId !== sessionId)
      throw fail('LOGIN_CHALLENGE_INVALID', 'the login challenge was issued in another session');
    this.#forget(issued.nonce);
    if (canonicalize(issued) !== canonicalize(presented))
      throw fail('LOGIN_CHALLENGE_INVALID', 'the login challenge differs from the one issued');
    if (issued.expiresAt < now)
      throw fail('LOGIN_CHALLENGE_INVALID', `the login challenge expired at ${issued.expiresAt} (now ${now})`);
    return issued;
  }

  get size(): number {
    return this.#challenges.size;
  }

  /** Forgets expired challenges: the map is in issue order, and every challenge lives as long, so it stops at the first live one. */
  sweep(now: number): void {
    for (const [nonce, c] of this.#challenges) {
      if (c.expiresAt >= now) break;
      this.#forget(nonce);
    }
  }
}
