// SPDX-License-Identifier: Apache-2.0
import { actorKey, fail, type Actor } from '@medshare/protocol';

/**
 * Nonces seen by this gateway, kept until their request expires (on top of the ledger's own
 * nonce keys, which cannot cover evaluations). Entries are bounded per app (one app cannot push
 * out another's) and, within an app, kept per client: the key that signed the request, or the
 * app's session handshake. When an app's entries reach the bound, the client holding the most
 * entries loses its entry that expires first, and only that client's floor rises to its expiry:
 * that client's requests expiring at or before its floor are refused, which covers the forgotten
 * nonce, while every other client keeps all its protection and its requests pass (the issue: one
 * client with long-lived requests made every other client of its app get NONCE_REPLAYED).
 */
export class ReplayCache {
  readonly #apps = new Map<string, AppEntries>();

  constructor(private readonly capacityPerApp: number) {}

  /** Records the nonce of a request by `actor` (its client is the actor: `key:<keyId>`, `ring:<scope>:<keyImage>`). */
  claimFor(appId: string, actor: Actor, nonce: string, expiresAt: number, now: number): void {
    this.claim(appId, actor.kind === 'key' ? `key:${actor.keyId}` : actorKey(actor), nonce, expiresAt, now);
  }

  /** Records `nonce` of `client` in `appId` until `expiresAt`; throws NONCE_REPLAYED if already seen. */
  claim(appId: string, client: string, nonce: string, expiresAt: number, now: number): void {
    let app = this.#apps.get(appId);
    if (!app) {
      app = new AppEntries(this.capacityPerApp);
      this.#apps.set(appId, app);
    }
    app.claim(client, nonce, expiresAt, now);
  }
}

/** How often, at most, a full app is swept of expired entries before anyone is evicted. */
const SWEEP_INTERVAL_MS = 1000;

class AppEntries {
  readonly #clients = new Map<string, ClientNonces>();
  #size = 0;
  #largest: ClientNonces | undefined;
  #sweptAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly capacity: number) {}

  claim(client: string, nonce: string, expiresAt: number, now: number): void {
    let nonces = this.#clients.get(client);
    if (!nonces) {
      nonces = new ClientNonces();
      this.#clients.set(client, nonces);
    }
    const before = nonces.size;
    try {
      nonces.claim(nonce, expiresAt, now);
    } finally {
      this.#size += nonces.size - before;
    }
    if (!this.#largest || nonces.size > this.#largest.size) this.#largest = nonces;
    if (this.#size > this.capacity) this.#makeRoom(now);
  }

  #makeRoom(now: number): void {
    if (now - this.#sweptAt >= SWEEP_INTERVAL_MS) {
      this.#sweptAt = now;
      this.#largest = undefined;
      for (const [client, nonces] of this.#clients) {
        this.#size -= nonces.dropExpired(now);
        if (nonces.idle(now)) this.#clients.delete(client);
        else if (!this.#largest || nonces.size > this.#largest.size) this.#largest = nonces;
      }
    }
    // The client holding the most entries pays; `#largest` is refreshed at each sweep and
    // whenever a client grows past it, so it is always one of the biggest.
    while (this.#size > this.capacity && this.#largest && this.#largest.size > 0) {
      this.#largest.evictFirst();
      this.#size -= 1;
    }
  }
}

/** One client's nonces: a map for lookups and a min-heap by expiry for eviction. */
class ClientNonces {
  readonly #seen = new Map<string, number>();
  /** Min-heap of [expiresAt, nonce]. */
  readonly #heap: Array<[number, string]> = [];
  #floor = Number.NEGATIVE_INFINITY;

  get size(): number {
    return this.#seen.size;
  }

  claim(nonce: string, expiresAt: number, now: number): void {
    if (expiresAt <= this.#floor)
      throw fail(
        'NONCE_REPLAYED',
        'request expires before the replay window this gateway still vouches for; send a new one',
      );
    const seen = this.#seen.get(nonce);
    if (seen !== undefined && seen >= now) throw fail('NONCE_REPLAYED', 'request nonce was already used');
    this.dropExpired(now);
    this.#seen.set(nonce, expiresAt);
    this.#push([expiresAt, nonce]);
  }

  /** Forgets entries that expired before `now`; returns how many. */
  dropExpired(now: number): number {
    const before = this.#seen.size;
    while (this.#heap.length > 0 && (this.#heap[0]?.[0] ?? 0) < now) this.#forget(this.#pop());
    return before - this.#seen.size;
  }

  /** Forgets the entry that expires first and raises this client's floor to its expiry. */
  evictFirst(): void {
    const first = this.#pop();
    this.#floor = Math.max(this.#floor, first[0]);
    this.#forget(first);
  }

  /** Nothing left to remember: no live entry and no floor that could still refuse anything. */
  idle(now: number): boolean {
    return this.#seen.size === 0 && this.#floor < now;
  }

  #forget([expiresAt, nonce]: [number, string]): void {
    if (this.#seen.get(nonce) === expiresAt) this.#seen.delete(nonce);
  }

  #push(entry: [number, string]): void {
    const heap = this.#heap;
    heap.push(entry);
    for (let i = heap.length - 1; i > 0;) {
      const parent = (i - 1) >> 1;
      if ((heap[parent] as [number, string])[0] <= entry[0]) break;
      heap[i] = heap[parent] as [number, string];
      heap[parent] = entry;
      i = parent;
    }
  }

  #pop(): [number, string] {
    const heap = this.#heap;
    const top = heap[0] as [number, string];
    const last = heap.pop() as [number, string];
    if (heap.length > 0) {
      heap[0] = last;
      for (let i = 0; ;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let smallest = i;
        if (l < heap.length && (heap[l] as [number, string])[0] < (heap[smallest] as [number, string])[0]) smallest = l;
        if (r < heap.length && (heap[r] as [number, string])[0] < (heap[smallest] as [number, string])[0]) smallest = r;
        if (smallest === i) break;
        [heap[i], heap[smallest]] = [heap[smallest] as [number, string], heap[i] as [number, string]];
        i = smallest;
      }
    }
    return top;
  }
}
