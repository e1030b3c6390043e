// SPDX-License-Identifier: Apache-2.0
import { randomBytes } from 'node:crypto';
import { fail } from '@medshare/protocol';
import { compareKeys } from './composite-key';
import {
  newTxId,
  TransactionStub,
  type ChaincodeEvent,
  type ReadWriteSet,
  type Invocation,
  type StateStore,
  type VersionedValue,
} from './transaction-stub';
import type { ClientIdentityLike, SimulatedIdentity } from './identity';

/** The slice of fabric-contract-api's Context the contract reads. */
export interface SimulatedContext {
  readonly stub: TransactionStub;
  readonly clientIdentity: ClientIdentityLike;
  readonly logging: { getLogger(name?: string): LoggerLike; setLevel(level: string): void };
}

export interface LoggerLike {
  debug(...args: unknown[]): void;
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
}

const SILENT: LoggerLike = { debug() {}, info() {}, warn() {}, error() {} };

export interface CommittedEvent extends ChaincodeEvent {
  readonly txId: string;
  readonly blockNumber: number;
}

export interface TransactionResult<T> {
  readonly result: T;
  readonly txId: string;
  readonly timestamp: number;
}

/**
 * An in-memory ledger with Fabric's commit semantics: a transaction is simulated against
 * committed state, then validated (MVCC: every key it read still has the version it saw;
 * paginated queries only in read-only transactions) and applied atomically, or not at all.
 * Subclasses persist a validated batch by overriding {@link persist}.
 */
export class MemoryLedger implements StateStore {
  readonly #state = new Map<string, VersionedValue>();
  /** The keys in byte order, built by the first range query and kept in step by each commit (rebuilt after a restore). */
  #sorted: string[] | undefined;
  #version = 0;
  #txCounter = 0;
  readonly #seed = randomBytes(8).toString('hex');
  readonly #listeners = new Set<(event: CommittedEvent) => void>();
  readonly #events: CommittedEvent[] = [];
  /** The transaction timestamp source (Unix ms); tests set it to move time. */
  clock: () => number = () => Date.now();

  get height(): number {
    return this.#version;
  }

  get(key: string): VersionedValue | undefined {
    return this.#state.get(key);
  }

  *range(start: string, end: string): Iterable<readonly [string, VersionedValue]> {
    this.#sorted ??= [...this.#state.keys()].sort(compareKeys);
    const keys = this.#sorted;
    for (let i = lowerBound(keys, start); i < keys.length; i++) {
      const key = keys[i] as string;
      if (compareKeys(key, end) >= 0) return;
      const entry = this.#state.get(key);
      if (entry) yield [key, entry];
    }
  }

  /**
   * Replaces an empty ledger's state with a snapshot (a durable ledger's compacted log): the
   * committed keys with their versions, the height, and the committed events.
   */
  protected restore(snapshot: {
    readonly height: number;
    readonly state: Iterable<readonly [string, VersionedValue]>;
    readonly events: readonly CommittedEvent[];
  }): void {
    if (this.#version !== 0 || this.#state.size !== 0) throw new Error('restore needs an empty ledger');
    for (const [key, value] of snapshot.state) this.#state.set(key, value);
    this.#sorted = undefined;
    // One by one: spreading a large array into push() overflows the call stack (~130k events).
    for (const event of snapshot.events) this.#events.push(event);
    this.#version = snapshot.height;
  }

  /** Every committed key with its version, in byte order (for snapshots). */
  versionedEntries(): Array<readonly [string, VersionedValue]> {
    return [...this.range('', '\u{10FFFF}\u{10FFFF}')];
  }

  /** Every committed key in byte order (for snapshots and tests). */
  entries(): Array<readonly [string, Uint8Array]> {
    return [...this.range('', '\u{10FFFF}\u{10FFFF}')].map(([k, v]) => [k, v.value] as const);
  }

  /**
   * Every committed chaincode event, in commit order (a durable ledger's replayed ones included):
   * at most one per transaction, only from transactions that committed, as Fabric delivers them.
   */
  get committedEvents(): readonly CommittedEvent[] {
    return this.#events;
  }

  /** Called with each event as its transaction commits (after it is in {@link committedEvents}). */
  onEvent(listener: (event: CommittedEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Starts a simulation; the caller runs chaincode against `ctx` and then commits or discards. */
  simulate(identity: SimulatedIdentity, options: { txId?: string; invocation?: Invocation } = {}): SimulatedContext {
    const id = options.txId ?? newTxId(this.#seed, ++this.#txCounter);
    const creator = { mspid: identity.mspId, idBytes: identity.getIDBytes() };
    return {
      stub: new TransactionStub(this, id, this.clock(), {
        creator,
        ...(options.invocation ? { invocation: options.invocation } : {}),
      }),
      clientIdentity: identity,
      logging: { getLogger: () => SILENT, setLevel() {} },
    };
  }

  /** Endorse, validate and commit one transaction; a thrown error commits nothing. */
  async submit<T>(
    identity: SimulatedIdentity,
    run: (ctx: SimulatedContext) => Promise<T>,
    invocation?: Invocation,
  ): Promise<TransactionResult<T>> {
    const ctx = this.simulate(identity, invocation ? { invocation } : {});
    const result = await run(ctx);
    const rwset = ctx.stub.readWriteSet();
    await this.commit(rwset);
    return { result, txId: rwset.txId, timestamp: rwset.timestamp };
  }

  /** Run chaincode read-only: writes are discarded, as a Fabric evaluation's are. */
  async evaluate<T>(
    identity: SimulatedIdentity,
    run: (ctx: SimulatedContext) => Promise<T>,
    invocation?: Invocation,
  ): Promise<TransactionResult<T>> {
    const ctx = this.simulate(identity, invocation ? { invocation } : {});
    const result = await run(ctx);
    const rwset = ctx.stub.readWriteSet();
    return { result, txId: rwset.txId, timestamp: rwset.timestamp };
  }

  #queue: Array<{ rwset: ReadWriteSet; resolve: () => void; reject: (error: unknown) => void }> = [];
  #flushing = false;

  /**
   * Validates a read/write set and applies it atomically, or rejects it. Commits that arrive
   * together form one block-like batch (group commit): each is validated in arrival order
   * against committed state plus the writes accepted before it in the batch (MVCC), the
   * accepted ones are persisted together, then become visible, then are acknowledged.
   */
  commit(rwset: ReadWriteSet): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ rwset, resolve, reject });
      if (!this.#flushing) {
        this.#flushing = true;
        setImmediate(() => void this.#flush());
      }
    });
  }

  async #flush(): Promise<void> {
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue.splice(0);
        const overlay = new Map<string, number>();
        const accepted: Array<{
          rwset: ReadWriteSet;
          version: number;
          resolve: () => void;
          reject: (error: unknown) => void;
        }> = [];
        let version = this.#version;
        for (const item of batch) {
          const refusal = this.#validate(item.rwset, overlay);
          if (refusal) {
            item.reject(refusal);
            continue;
          }
          if (item.rwset.writes.size === 0 && !item.rwset.event) {
            item.resolve();
            continue;
          }
          version += 1;
          for (const key of item.rwset.writes.keys()) overlay.set(key, version);
          accepted.push({ ...item, version });
        }
        if (accepted.length === 0) continue;
        try {
          await this.persist(accepted);
        } catch (error) {
          for (const item of accepted) item.reject(error);
          continue;
        }
        for (const item of accepted) this.apply(item.rwset, item.version);
        for (const item of accepted) item.resolve();
        await this.afterCommit();
      }
    } finally {
      this.#flushing = false;
    }
  }

  /** MVCC: every key the transaction read still has the version it saw (after this batch's earlier writes). */
  #validate(rwset: ReadWriteSet, overlay: ReadonlyMap<string, number>): Error | undefined {
    if (rwset.paginated && rwset.writes.size > 0)
      return fail('INTERNAL', 'paginated queries are allowed only in read-only transactions');
    for (const [key, version] of rwset.reads) {
      if ((overlay.get(key) ?? this.#state.get(key)?.version ?? 0) !== version) {
        return fail('CONFLICT', `MVCC read conflict on a key read by transaction ${rwset.txId}`);
      }
    }
    return undefined;
  }

  /**
   * Hook for durable ledgers: called after a batch became visible and was acknowledged, before
   * the next batch is validated (so nothing commits meanwhile). A failure here is the durable
   * ledger's to handle; the batch is already committed.
   */
  protected afterCommit(): Promise<void> {
    return Promise.resolve();
  }

  /** Hook for durable ledgers: called with validated transactions, in order, before they become visible. */
  protected persist(_batch: ReadonlyArray<{ readonly rwset: ReadWriteSet; readonly version: number }>): Promise<void> {
    return Promise.resolve();
  }

  /**
   * The sorted keys after a commit added or removed keys, if they are built (a replay at start
   * leaves them unbuilt: one sort afterwards is cheaper than an insertion per key). A new array,
   * as a rebuild made: a range still being read (getStateByRange is lazy) keeps the keys it
   * started with. A few changes are placed by binary search, a new key after the keys that
   * compare equal to it (where the rebuild's stable sort of the insertion order puts it); many
   * leave the keys to be sorted again by the next range query.
   */
  #reindex(added: readonly string[], removed: readonly string[]): void {
    if (!this.#sorted) return;
    if (added.length + removed.length > REINDEX_IN_PLACE_MAX) {
      this.#sorted = undefined;
      return;
    }
    const keys = this.#sorted.slice();
    for (const key of removed) {
      let at = lowerBound(keys, key);
      while (at < keys.length && keys[at] !== key && compareKeys(keys[at] as string, key) === 0) at++;
      if (keys[at] === key) keys.splice(at, 1);
    }
    for (const key of added) {
      let at = lowerBound(keys, key);
      while (at < keys.length && compareKeys(keys[at] as string, key) === 0) at++;
      keys.splice(at, 0, key);
    }
    this.#sorted = keys;
  }

  /** Applies a validated batch (also used to replay a durable log at start). */
  protected apply(rwset: ReadWriteSet, version: number): void {
    this.#version = version;
    const added: string[] = [];
    const removed: string[] = [];
    for (const [key, value] of rwset.writes) {
      const existed = this.#state.has(key);
      if (value === undefined) {
        if (existed) {
          this.#state.delete(key);
          removed.push(key);
        }
      } else {
        this.#state.set(key, { value, version });
        if (!existed) added.push(key);
      }
    }
    if (added.length + removed.length > 0) this.#reindex(added, removed);
    if (rwset.event) {
      const event: CommittedEvent = { ...rwset.event, txId: rwset.txId, blockNumber: version };
      this.#events.push(event);
      for (const listener of this.#listeners) listener(event);
    }
  }
}

/** More added and removed keys than this in one transaction: the sorted keys are rebuilt, not patched. */
const REINDEX_IN_PLACE_MAX = 64;

/** The index of the first of the sorted `keys` that does not compare below `key`. */
function lowerBound(keys: readonly string[], key: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (compareKeys(keys[mid] as string, key) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
