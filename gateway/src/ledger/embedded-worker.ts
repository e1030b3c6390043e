// SPDX-License-Identifier: Apache-2.0
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { MedshareError, fail, isSubmitted, type ContractEnvelope, type ErrorCode } from '@medshare/protocol';
import type { EmbeddedLedgerConfig } from '../config/config';
import type {
  AccessKeyRegistration,
  EventStream,
  EventStreamOptions,
  LedgerBackend,
  LedgerEvent,
  OrgAdminLedger,
} from './backend';

/** What the ledger thread is started with (its workerData). */
export interface LedgerThreadData {
  readonly dir: string;
  readonly k4KeyFile: string;
  readonly org: string;
}

/** A coded error as it crosses the thread boundary (a MedshareError's code, detail and context). */
export interface WireError {
  readonly code: ErrorCode;
  readonly message: string;
  readonly context: Record<string, string | number | boolean>;
}

export type ToLedgerThread =
  | { readonly type: 'call'; readonly id: number; readonly method: string; readonly args: readonly unknown[] }
  | {
      readonly type: 'events';
      readonly id: number;
      readonly checkpointBlock: bigint | undefined;
      readonly checkpointTx: string | undefined;
      readonly startBlock: bigint;
    }
  | { readonly type: 'close-events'; readonly id: number }
  | { readonly type: 'close'; readonly id: number };

export type FromLedgerThread =
  | { readonly type: 'ready' }
  | { readonly type: 'open-failed'; readonly error: WireError }
  | { readonly type: 'result'; readonly id: number; readonly result?: string; readonly error?: WireError }
  | { readonly type: 'event'; readonly id: number; readonly event: LedgerEvent }
  | { readonly type: 'end'; readonly id: number; readonly error?: WireError };

/** The admin calls that write nothing (a thread failure while they wait is not an unknown outcome). */
const READ_ONLY_ADMIN = new Set(['adminAuditTrail', 'listProxies']);

const fromWire = (e: WireError): MedshareError =>
  new MedshareError({ code: e.code, message: e.message, context: e.context });

/**
 * The compiled thread entry beside this file; from the TypeScript sources (jest), the built one
 * in the package's dist (the test scripts build first).
 */
function threadEntry(): string {
  const beside = join(__dirname, 'embedded-thread.js');
  return existsSync(beside) ? beside : join(__dirname, '../../dist/ledger/embedded-thread.js');
}

/** One event stream fed by the ledger thread: a queue the iterator drains. */
class ThreadEventStream implements EventStream {
  readonly #queue: LedgerEvent[] = [];
  #ended = false;
  #error: MedshareError | undefined;
  #wake: (() => void) | undefined;

  constructor(private readonly onClose: () => void) {}

  push(event: LedgerEvent): void {
    this.#queue.push(event);
    this.#wake?.();
  }

  end(error?: MedshareError): void {
    this.#ended = true;
    this.#error ??= error;
    this.#wake?.();
  }

  close(): void {
    if (!this.#ended) this.onClose();
    this.end();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<LedgerEvent> {
    try {
      for (;;) {
        const next = this.#queue.shift();
        if (next) {
          yield next;
          continue;
        }
        if (this.#ended) break;
        await new Promise<void>((resolve) => {
          this.#wake = resolve;
        });
        this.#wake = undefined;
      }
      if (this.#error) throw this.#error;
    } finally {
      this.close();
    }
  }
}

/**
 * The embedded runtime with its ledger on its own thread: the durable ledger and the chaincode
 * (EmbeddedBackend, unchanged) live in a worker thread (ledger/embedded-thread.ts), and this
 * side forwards each call and each event stream to it. The contract's execution (sig3, sig1,
 * the rules, the state writes, sig4, the durable log) then never holds the thread that serves
 * HTTP; calls are handed over in the order they are made and answered as the backend answers
 * them, so ordering, durability and errors are the in-process backend's (docs/decisions.md
 * "The embedded ledger on its own thread").
 */
export class EmbeddedWorkerBackend implements LedgerBackend {
  readonly kind = 'embedded' as const;
  readonly #worker: Worker;
  readonly #pending = new Map<
    number,
    { readonly writes: boolean; resolve: (r: string) => void; reject: (e: unknown) => void }
  >();
  readonly #streams = new Map<number, ThreadEventStream>();
  #nextId = 1;
  #down: MedshareError | undefined;

  private constructor(worker: Worker) {
    this.#worker = worker;
    worker.on('message', (m: FromLedgerThread) => this.#receive(m));
    worker.on('error', (error: Error) => this.#fail(`the ledger thread failed: ${error.message}`));
    worker.on('exit', (code) => this.#fail(`the ledger thread exited (code ${code})`));
  }

  /**
   * Starts the ledger thread; resolves once its ledger is open (rejects with its coded error if
   * not). `threadEntry`: another entry file (tests of a thread that fails).
   */
  static open(
    config: EmbeddedLedgerConfig,
    org: string,
    options: { readonly threadEntry?: string } = {},
  ): Promise<EmbeddedWorkerBackend> {
    const data: LedgerThreadData = { dir: config.dir, k4KeyFile: config.k4KeyFile, org };
    const worker = new Worker(options.threadEntry ?? threadEntry(), { workerData: data });
    return new Promise((resolve, reject) => {
      const started = (m: FromLedgerThread): void => {
        if (m.type === 'ready') {
          worker.off('message', started);
          worker.off('error', failed);
          resolve(new EmbeddedWorkerBackend(worker));
        } else if (m.type === 'open-failed') {
          void worker.terminate();
          reject(fromWire(m.error));
        }
      };
      const failed = (error: Error): void => reject(error);
      worker.on('message', started);
      worker.once('error', failed);
    });
  }

  run(envelope: ContractEnvelope): Promise<string> {
    return this.#call('run', [envelope], isSubmitted(envelope.request.op));
  }

  getUser(keyId: string): Promise<string> {
    return this.#call('getUser', [keyId]);
  }

  listAccessKeys(mspId: string): Promise<string> {
    return this.#call('listAccessKeys', [mspId]);
  }

  listProxies(): Promise<string> {
    return this.#call('listProxies', []);
  }

  getShareForProxy(fileId: string, receiverKeyId: string, proxyId: string): Promise<string> {
    return this.#call('getShareForProxy', [fileId, receiverKeyId, proxyId]);
  }

  getAppPolicy(mspId: string): Promise<string> {
    return this.#call('getAppPolicy', [mspId]);
  }

  orgAdmin(): OrgAdminLedger {
    const admin = (method: string, ...args: unknown[]): Promise<string> =>
      this.#call(`admin.${method}`, args, !READ_ONLY_ADMIN.has(method));
    return {
      approveUser: (keyId: string) => admin('approveUser', keyId),
      registerAccessKey: (key: AccessKeyRegistration) =>
        admin('registerAccessKey', { publicKey: key.publicKey, notBefore: key.notBefore, notAfter: key.notAfter }),
      retireAccessKey: (keyId: string, at?: number) => admin('retireAccessKey', keyId, at),
      adminAuditTrail: (recordId: string, pageSize: number, bookmark: string) =>
        admin('adminAuditTrail', recordId, pageSize, bookmark),
      registerProxy: (publicKey: string) => admin('registerProxy', publicKey),
      listProxies: () => admin('listProxies'),
      setAppPolicy: (minVersion: string, denied: string) => admin('setAppPolicy', minVersion, denied),
    };
  }

  async chaincodeEvents(options: EventStreamOptions): Promise<EventStream> {
    const id = this.#nextId++;
    const stream = new ThreadEventStream(() => {
      this.#streams.delete(id);
      if (!this.#down) this.#worker.postMessage({ type: 'close-events', id } satisfies ToLedgerThread);
    });
    this.#streams.set(id, stream);
    try {
      await this.#send({
        type: 'events',
        id,
        checkpointBlock: options.checkpoint.getBlockNumber(),
        checkpointTx: options.checkpoint.getTransactionId(),
        startBlock: options.startBlock,
      });
    } catch (error) {
      this.#streams.delete(id);
      throw error;
    }
    return stream;
  }

  async ready(): Promise<void> {
    await this.#call('ping', []);
  }

  async close(): Promise<void> {
    if (this.#down) return;
    for (const s of [...this.#streams.values()]) s.close();
    await this.#send({ type: 'close', id: this.#nextId++ });
    this.#down = fail('LEDGER_UNAVAILABLE', 'the embedded ledger is closed');
    await this.#worker.terminate();
  }

  #call(method: string, args: readonly unknown[], writes = false): Promise<string> {
    return this.#send({ type: 'call', id: this.#nextId++, method, args }, writes);
  }

  #send(message: ToLedgerThread, writes = false): Promise<string> {
    if (this.#down) return Promise.reject(this.#down);
    return new Promise((resolve, reject) => {
      this.#pending.set(message.id, { writes, resolve, reject });
      this.#worker.postMessage(message);
    });
  }

  #receive(m: FromLedgerThread): void {
    if (m.type === 'result') {
      const waiting = this.#pending.get(m.id);
      this.#pending.delete(m.id);
      if (m.error) waiting?.reject(fromWire(m.error));
      else waiting?.resolve(m.result ?? '');
    } else if (m.type === 'event') this.#streams.get(m.id)?.push(m.event);
    else if (m.type === 'end') this.#streams.get(m.id)?.end(m.error && fromWire(m.error));
  }

  /**
   * The thread is gone: a write waiting for its answer fails OUTCOME_UNKNOWN (it may have reached
   * the durable log), any other call waiting and every later one LEDGER_UNAVAILABLE; streams end.
   */
  #fail(reason: string): void {
    if (this.#down) return;
    this.#down = fail('LEDGER_UNAVAILABLE', reason);
    const unknown = fail('OUTCOME_UNKNOWN', `${reason} before answering a write`);
    for (const waiting of this.#pending.values()) waiting.reject(waiting.writes ? unknown : this.#down);
    this.#pending.clear();
    for (const s of this.#streams.values()) s.end(this.#down);
    this.#streams.clear();
  }
}
