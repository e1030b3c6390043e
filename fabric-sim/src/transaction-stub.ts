// SPDX-License-Identifier: Apache-2.0
import { createHash } from 'node:crypto';
import { compareKeys, createCompositeKey, MAX_UNICODE_RUNE, splitCompositeKey } from './composite-key';

/** One committed value and the transaction that wrote it (Fabric's version is block:tx). */
export interface VersionedValue {
  readonly value: Uint8Array;
  readonly version: number;
}

/** What a ledger's committed state must offer the simulator. */
export interface StateStore {
  get(key: string): VersionedValue | undefined;
  /** Keys in [start, end) in UTF-8 byte order. */
  range(start: string, end: string): Iterable<readonly [string, VersionedValue]>;
}

export interface ChaincodeEvent {
  readonly eventName: string;
  readonly payload: Uint8Array;
}

export interface KV {
  readonly key: string;
  readonly value: Uint8Array;
}

/** The shim's iterator shape: next()/close(), plus async iteration. */
export interface StateIterator extends AsyncIterable<KV> {
  next(): Promise<{ value: KV; done: false } | { value: undefined; done: true }>;
  close(): Promise<void>;
}

/** The function and arguments of a proposal, as the peer hands them to the chaincode. */
export interface Invocation {
  /** `contract:Transaction` (or a bare name for the default contract), as Fabric addresses it. */
  readonly fcn: string;
  readonly args: readonly string[];
}

/** A proposal's creator as the peer passes it (SerializedIdentity). */
export interface Creator {
  readonly mspid: string;
  readonly idBytes: Uint8Array;
}

/** The result of simulating one transaction: what it read (with versions) and what it wrote. */
export interface ReadWriteSet {
  readonly txId: string;
  readonly timestamp: number;
  readonly reads: ReadonlyMap<string, number>;
  /** `undefined` value = delete. */
  readonly writes: ReadonlyMap<string, Uint8Array | undefined>;
  readonly event: ChaincodeEvent | undefined;
  readonly paginated: boolean;
}

function iteratorOver(entries: KV[]): StateIterator {
  let index = 0;
  const iterator: StateIterator = {
    next() {
      const value = entries[index++];
      return Promise.resolve(value ? { value, done: false as const } : { value: undefined, done: true as const });
    },
    close() {
      index = entries.length;
      return Promise.resolve();
    },
    async *[Symbol.asyncIterator]() {
      for (;;) {
        const step = await iterator.next();
        if (step.done) return;
        yield step.value;
      }
    },
  };
  return iterator;
}

/**
 * The subset of Fabric's ChaincodeStub the contract uses, with Fabric's semantics: reads see
 * only committed state (never the transaction's own writes), missing keys read as empty bytes,
 * composite keys and partial-key ranges in byte order, paginated queries with bookmarks, one
 * event per transaction (the last set wins), the transaction id and timestamp fixed per
 * transaction. Every read records the version it saw, for MVCC validation at commit.
 */
export class TransactionStub {
  readonly #store: StateStore;
  readonly #txId: string;
  readonly #timestampMs: number;
  readonly #reads = new Map<string, number>();
  readonly #writes = new Map<string, Uint8Array | undefined>();
  readonly #creator: Creator | undefined;
  readonly #invocation: Invocation;
  #event: ChaincodeEvent | undefined;
  #paginated = false;

  constructor(
    store: StateStore,
    txId: string,
    timestampMs: number,
    options: { creator?: Creator; invocation?: Invocation } = {},
  ) {
    this.#store = store;
    this.#txId = txId;
    this.#timestampMs = timestampMs;
    this.#creator = options.creator;
    this.#invocation = options.invocation ?? { fcn: '', args: [] };
  }

  getTxID(): string {
    return this.#txId;
  }

  /** The embedded runtime has one channel. */
  getChannelID(): string {
    return 'embedded';
  }

  getCreator(): Creator {
    if (!this.#creator) throw new Error('this transaction has no creator');
    return { mspid: this.#creator.mspid, idBytes: this.#creator.idBytes.slice() };
  }

  /** The function name and then its arguments, as bytes (fabric-contract-api routes on these). */
  getBufferArgs(): Buffer[] {
    const { fcn, args } = this.#invocation;
    return fcn === '' ? [] : [fcn, ...args].map((a) => Buffer.from(a, 'utf8'));
  }

  getFunctionAndParameters(): { fcn: string; params: string[] } {
    return { fcn: this.#invocation.fcn, params: [...this.#invocation.args] };
  }

  getTxTimestamp(): { seconds: number; nanos: number } {
    return { seconds: Math.floor(this.#timestampMs / 1000), nanos: (this.#timestampMs % 1000) * 1_000_000 };
  }

  createCompositeKey(objectType: string, attributes: string[]): string {
    return createCompositeKey(objectType, attributes);
  }

  splitCompositeKey(key: string): { objectType: string; attributes: string[] } {
    return splitCompositeKey(key);
  }

  getState(key: string): Promise<Uint8Array> {
    this.#checkKey(key);
    const entry = this.#store.get(key);
    this.#reads.set(key, entry?.version ?? 0);
    return Promise.resolve(entry ? entry.value.slice() : new Uint8Array(0));
  }

  putState(key: string, value: Uint8Array): Promise<void> {
    this.#checkKey(key);
    if (!(value instanceof Uint8Array) || value.length === 0)
      return Promise.reject(new Error(`putState(${JSON.stringify(key)}): value must be non-empty bytes`));
    this.#writes.set(key, value.slice());
    return Promise.resolve();
  }

  deleteState(key: string): Promise<void> {
    this.#checkKey(key);
    this.#writes.set(key, undefined);
    return Promise.resolve();
  }

  /**
   * A range of simple keys, `startKey ≤ key < endKey`, read lazily: only the keys the caller
   * reaches become reads of the transaction (as a peer's range query records what it returned).
   * As fabric-shim, composite keys (a leading U+0000) are refused; "" means the start or the end.
   */
  getStateByRange(startKey: string, endKey: string): Promise<StateIterator> {
    if (startKey.startsWith('\u0000') || endKey.startsWith('\u0000'))
      return Promise.reject(new Error('getStateByRange takes simple keys, not composite keys'));
    const last = endKey === '' ? `${MAX_UNICODE_RUNE}${MAX_UNICODE_RUNE}` : endKey;
    const source = this.#store.range(startKey, last)[Symbol.iterator]();
    let closed = false;
    const iterator: StateIterator = {
      next: () => {
        const step = closed ? undefined : source.next();
        if (!step || step.done) return Promise.resolve({ value: undefined, done: true as const });
        const [key, entry] = step.value;
        this.#reads.set(key, entry.version);
        return Promise.resolve({ value: { key, value: entry.value.slice() }, done: false as const });
      },
      close: () => {
        closed = true;
        return Promise.resolve();
      },
      async *[Symbol.asyncIterator]() {
        for (;;) {
          const step = await iterator.next();
          if (step.done) return;
          yield step.value;
        }
      },
    };
    return Promise.resolve(iterator);
  }

  getStateByPartialCompositeKey(objectType: string, attributes: string[]): Promise<StateIterator> {
    const start = createCompositeKey(objectType, attributes);
    return Promise.resolve(iteratorOver(this.#scan(start, start + MAX_UNICODE_RUNE, Infinity).entries));
  }

  getStateByPartialCompositeKeyWithPagination(
    objectType: string,
    attributes: string[],
    pageSize: number,
    bookmark = '',
  ): Promise<{ iterator: StateIterator; metadata?: { fetchedRecordsCount: number; bookmark: string } }> {
    if (!Number.isSafeInteger(pageSize) || pageSize < 1)
      return Promise.reject(new Error('pageSize must be a positive integer'));
    this.#paginated = true;
    const prefix = createCompositeKey(objectType, attributes);
    // Fabric's bookmark is the key the next page starts at; one outside the range restarts nothing.
    const start = bookmark && bookmark.startsWith(prefix) ? bookmark : prefix;
    const { entries, next } = this.#scan(start, prefix + MAX_UNICODE_RUNE, pageSize);
    // As fabric-shim: the peer's QueryResponseMetadata of an empty page (count 0, no bookmark)
    // is empty bytes, and the shim then returns no metadata at all.
    if (entries.length === 0 && next === undefined) return Promise.resolve({ iterator: iteratorOver(entries) });
    return Promise.resolve({
      iterator: iteratorOver(entries),
      metadata: { fetchedRecordsCount: entries.length, bookmark: next ?? '' },
    });
  }

  setEvent(name: string, payload: Uint8Array): void {
    if (typeof name !== 'string' || name.length === 0) throw new Error('event name must be a non-empty string');
    this.#event = { eventName: name, payload: payload.slice() };
  }

  /** The simulation result, to be validated and committed by the ledger. */
  readWriteSet(): ReadWriteSet {
    return {
      txId: this.#txId,
      timestamp: this.#timestampMs,
      reads: this.#reads,
      writes: this.#writes,
      event: this.#event,
      paginated: this.#paginated,
    };
  }

  #scan(start: string, end: string, limit: number): { entries: KV[]; next: string | undefined } {
    const entries: KV[] = [];
    for (const [key, entry] of this.#store.range(start, end)) {
      if (entries.length === limit) return { entries, next: key };
      this.#reads.set(key, entry.version);
      entries.push({ key, value: entry.value.slice() });
    }
    return { entries, next: undefined };
  }

  #checkKey(key: string): void {
    if (typeof key !== 'string' || key.length === 0) throw new Error('key must be a non-empty string');
  }
}

/** Fabric transaction ids are hex SHA-256 of the nonce and creator; ours hash a counter and a random seed. */
export function newTxId(seed: string, counter: number): string {
  return createHash('sha256').update(`${seed}:${counter}`).digest('hex');
}

export { compareKeys };
