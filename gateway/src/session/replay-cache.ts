import { fail } from '@medshare/protocol';

/**
 * Nonces seen by this gateway, kept until their request expires (on top of the ledger's own
 * nonce keys, which cannot cover evaluations). Bounded per app, so one app cannot push out
 * another's entries. When an app's partition is full of live entries, the one that expires
 * first is forgotten and the partition's floor rises to its expiry: any request expiring at or
 * before the floor is refused, which covers the forgotten one, while fresh requests (which
 * expire later) pass.
 */
export class ReplayCache {
  readonly #partitions = new Map<string, Partition>();

  constructor(private readonly capacityPerApp: number) {}

  /** Records `key` for `appId` until `expiresAt`; throws NONCE_REPLAYED if already seen. */
  claim(appId: string, key: string, expiresAt: number, now: number): void {
    let partition = this.#partitions.get(appId);
    if (!partition) {
      partition = new Partition(this.capacityPerApp);
      this.#partitions.set(appId, partition);
    }
    partition.claim(key, expiresAt, now);
  }
}

class Partition {
  readonly #seen = new Map<string, number>();
  /** Min-heap of [expiresAt, key]. */
  readonly #heap: Array<[number, string]> = [];
  #floor = Number.NEGATIVE_INFINITY;

  constructor(private readonly capacity: number) {}

  claim(key: string, expiresAt: number, now: number): void {
    if (expiresAt <= this.#floor) throw fail('NONCE_REPLAYED', 'request expires before the replay window this gateway still vouches for; send a new one');
    const seen = this.#seen.get(key);
    if (seen !== undefined && seen >= now) throw fail('NONCE_REPLAYED', 'request nonce was already used');
    while (this.#heap.length > 0 && (this.#heap[0]?.[0] ?? 0) < now) this.#forget(this.#pop());
    if (this.#seen.size >= this.capacity) {
      const oldest = this.#pop();
      this.#floor = Math.max(this.#floor, oldest[0]);
      this.#forget(oldest);
    }
    this.#seen.set(key, expiresAt);
    this.#push([expiresAt, key]);
  }

  #forget([expiresAt, key]: [number, string]): void {
    if (this.#seen.get(key) === expiresAt) this.#seen.delete(key);
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
