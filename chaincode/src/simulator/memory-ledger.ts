import { randomBytes } from 'node:crypto';
import { fail } from '@medshare/protocol';
import { compareKeys } from './keys';
import {
  newTxId,
  TransactionStub,
  type ChaincodeEvent,
  type ClientIdentityLike,
  type KeyModification,
  type ReadWriteSet,
  type StateStore,
  type VersionedValue,
} from './ledger';

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

/** A client identity as Fabric's shim reports it (subject and issuer DNs in `/K=V` form). */
export function fabricIdentity(mspId: string, options: { admin?: boolean; name?: string } = {}): ClientIdentityLike {
  const ou = options.admin ? 'admin' : 'client';
  const name = options.name ?? (options.admin ? `Admin@${mspId}` : `User1@${mspId}`);
  const id = `x509::/C=US/O=${mspId}/OU=${ou}/CN=${name}::/C=US/O=${mspId}/CN=ca.${mspId}`;
  return { getMSPID: () => mspId, getID: () => id };
}

/**
 * An in-memory ledger with Fabric's commit semantics: a transaction is simulated against
 * committed state, then validated (MVCC: every key it read still has the version it saw;
 * paginated queries only in read-only transactions) and applied atomically, or not at all.
 * Subclasses persist a validated batch by overriding {@link persist}.
 */
export class MemoryLedger implements StateStore {
  readonly #state = new Map<string, VersionedValue>();
  #sorted: string[] | undefined = [];
  #version = 0;
  #txCounter = 0;
  readonly #seed = randomBytes(8).toString('hex');
  readonly #history = new Map<string, KeyModification[]>();
  readonly #listeners = new Set<(event: CommittedEvent) => void>();
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
    let lo = 0;
    let hi = keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (compareKeys(keys[mid] as string, start) < 0) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < keys.length; i++) {
      const key = keys[i] as string;
      if (compareKeys(key, end) >= 0) return;
      const entry = this.#state.get(key);
      if (entry) yield [key, entry];
    }
  }

  /** Every committed key in byte order (for snapshots and tests). */
  entries(): Array<readonly [string, Uint8Array]> {
    return [...this.range('', '\u{10FFFF}\u{10FFFF}')].map(([k, v]) => [k, v.value] as const);
  }

  history(key: string): readonly KeyModification[] {
    return this.#history.get(key) ?? [];
  }

  onEvent(listener: (event: CommittedEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Starts a simulation; the caller runs chaincode against `ctx` and then commits or discards. */
  simulate(identity: ClientIdentityLike, txId?: string): SimulatedContext {
    const id = txId ?? newTxId(this.#seed, ++this.#txCounter);
    return { stub: new TransactionStub(this, id, this.clock()), clientIdentity: identity, logging: { getLogger: () => SILENT, setLevel() {} } };
  }

  /** Endorse, validate and commit one transaction; a thrown error commits nothing. */
  async submit<T>(identity: ClientIdentityLike, run: (ctx: SimulatedContext) => Promise<T>): Promise<TransactionResult<T>> {
    const ctx = this.simulate(identity);
    const result = await run(ctx);
    const rwset = ctx.stub.readWriteSet();
    await this.commit(rwset);
    return { result, txId: rwset.txId, timestamp: rwset.timestamp };
  }

  /** Run chaincode read-only: writes are discarded, as a Fabric evaluation's are. */
  async evaluate<T>(identity: ClientIdentityLike, run: (ctx: SimulatedContext) => Promise<T>): Promise<TransactionResult<T>> {
    const ctx = this.simulate(identity);
    const result = await run(ctx);
    const rwset = ctx.stub.readWriteSet();
    return { result, txId: rwset.txId, timestamp: rwset.timestamp };
  }

  #commits: Promise<void> = Promise.resolve();

  /**
   * Validates a read/write set against current state and applies it atomically. Commits are
   * serialized (one block at a time), so validation always sees every earlier commit.
   */
  commit(rwset: ReadWriteSet): Promise<void> {
    const next = this.#commits.then(() => this.#commitNow(rwset));
    this.#commits = next.catch(() => undefined);
    return next;
  }

  async #commitNow(rwset: ReadWriteSet): Promise<void> {
    if (rwset.paginated && rwset.writes.size > 0) throw fail('INTERNAL', 'paginated queries are allowed only in read-only transactions');
    for (const [key, version] of rwset.reads) {
      if ((this.#state.get(key)?.version ?? 0) !== version) {
        throw fail('CONFLICT', `MVCC read conflict on a key read by transaction ${rwset.txId}`);
      }
    }
    if (rwset.writes.size === 0 && !rwset.event) return;
    const version = this.#version + 1;
    await this.persist(rwset, version);
    this.apply(rwset, version);
  }

  /** Hook for durable ledgers: called with a validated batch before it becomes visible. */
  protected persist(_rwset: ReadWriteSet, _version: number): Promise<void> {
    return Promise.resolve();
  }

  /** Applies a validated batch (also used to replay a durable log at start). */
  protected apply(rwset: ReadWriteSet, version: number): void {
    this.#version = version;
    for (const [key, value] of rwset.writes) {
      const existed = this.#state.has(key);
      if (value === undefined) {
        if (existed) {
          this.#state.delete(key);
          this.#sorted = undefined;
        }
      } else {
        this.#state.set(key, { value, version });
        if (!existed) this.#sorted = undefined;
      }
      const list = this.#history.get(key) ?? [];
      list.push({ txId: rwset.txId, timestamp: rwset.timestamp, isDelete: value === undefined, value: value ?? new Uint8Array(0) });
      this.#history.set(key, list);
    }
    if (rwset.event) {
      const event: CommittedEvent = { ...rwset.event, txId: rwset.txId, blockNumber: version };
      for (const listener of this.#listeners) listener(event);
    }
  }
}
