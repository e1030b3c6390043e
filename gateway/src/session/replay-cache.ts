import { fail } from '@medshare/protocol';

/**
 * Nonces seen by this gateway, until their request expires (on top of the ledger's own nonce
 * keys, which also cover evaluations the ledger cannot record). Bounded: when full, the entry
 * that expires first goes; a request older than the oldest kept is refused as possibly replayed.
 */
export class ReplayCache {
  readonly #seen = new Map<string, number>();
  #floor = 0;

  constructor(private readonly capacity: number) {}

  /** Records `key` until `expiresAt`; throws NONCE_REPLAYED if it is already there. */
  claim(key: string, expiresAt: number, issuedAt: number, now: number): void {
    if (issuedAt < this.#floor) throw fail('NONCE_REPLAYED', 'request is older than the replay window this gateway can vouch for');
    const seen = this.#seen.get(key);
    if (seen !== undefined && seen > now) throw fail('NONCE_REPLAYED', 'request nonce was already used');
    if (this.#seen.size >= this.capacity) this.#evict(now);
    this.#seen.set(key, expiresAt);
  }

  #evict(now: number): void {
    for (const [key, expiresAt] of this.#seen) if (expiresAt <= now) this.#seen.delete(key);
    if (this.#seen.size < this.capacity) return;
    // Still full of live entries: drop the oldest insertion and raise the floor past it.
    const first = this.#seen.entries().next();
    if (!first.done) {
      this.#seen.delete(first.value[0]);
      this.#floor = Math.max(this.#floor, now);
    }
  }
}
