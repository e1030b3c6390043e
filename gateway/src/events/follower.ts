// SPDX-License-Identifier: Apache-2.0
import { AUDIT_EVENT_NAME, parseAuditEvent, type AuditEvent } from '@medshare/protocol';
import type { EventCheckpoint, EventStream, EventStreamOptions, LedgerEvent } from '../ledger/backend';
import type { EventLog } from './event-log';

/** A checkpoint that can be advanced (fabric-gateway's `Checkpointer`, narrowed). */
export interface FollowerCheckpointer extends EventCheckpoint {
  checkpointChaincodeEvent(event: Pick<LedgerEvent, 'blockNumber' | 'transactionId'>): Promise<void>;
}

export interface FollowerLogger {
  warn(object: object, message: string): void;
}

export interface EventFollowerOptions {
  /** The ledger's events from a checkpoint (LedgerBackend.chaincodeEvents). */
  readonly source: (options: EventStreamOptions) => Promise<EventStream>;
  readonly log: EventLog;
  readonly checkpointer: FollowerCheckpointer;
  readonly logger?: FollowerLogger;
  /** Reconnect delays after a failed stream: doubling from the first to the second (ms). */
  readonly retryMs?: readonly [number, number];
  /**
   * Checkpoint after every this many events (default 64), and when a stream ends. A checkpoint
   * that lags is safe, only slower to restart from: the events after it are read again and the
   * log drops the ones it has.
   */
  readonly checkpointEvery?: number;
}

type Position = Pick<LedgerEvent, 'blockNumber' | 'transactionId'>;

/** How many events the follower reads ahead of the batch it is logging. */
const READ_AHEAD = 1024;

const QUIET: FollowerLogger = { warn() {} };

/**
 * Follows the contract's events into the event log, resumably. For each event, in order: an
 * audit event not yet logged is appended (durably); only then may the checkpoint move past it
 * (every `checkpointEvery` events and at the end of a stream). A crash between the two replays
 * the events after the checkpoint on restart, and the log drops the ones it already has (any
 * event of a block before its newest one, and those of its newest block by transaction id). So
 * nothing is lost (the checkpoint never passes an event before it is logged) and nothing is
 * logged twice, whatever the checkpoint's lag.
 */
export class EventFollower {
  readonly #options: EventFollowerOptions;
  readonly #logger: FollowerLogger;
  #stream: EventStream | undefined;
  #running: Promise<void> | undefined;
  #stopped = false;
  #wakeSleep: (() => void) | undefined;
  readonly #waiters = new Set<{ block: bigint; transactionId: string; resolve: () => void }>();
  readonly #every: number;
  /** The newest event handled, and how many were handled since the last checkpoint. */
  #handled: Position | undefined;
  #unsaved = 0;

  constructor(options: EventFollowerOptions) {
    this.#options = options;
    this.#logger = options.logger ?? QUIET;
    this.#every = options.checkpointEvery ?? 64;
  }

  /** Follows in the background until {@link stop}, reconnecting from the checkpoint after failures. */
  start(): void {
    this.#running ??= this.#loop();
  }

  /** True once {@link stop} was called (a getter, so it is re-read after every await). */
  get stopped(): boolean {
    return this.#stopped;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#stream?.close();
    this.#wakeSleep?.();
    await this.#running;
    for (const waiter of this.#waiters) waiter.resolve();
  }

  /**
   * Reads one event stream from the checkpoint until it ends (a finite source) or fails; an
   * event that cannot be logged or checkpointed ends it with that error. Events are read ahead
   * (up to {@link READ_AHEAD}) while the previous batch is being made durable, and each batch is
   * logged with one write and one fdatasync, so following keeps up with a busy ledger.
   */
  async runOnce(): Promise<void> {
    const stream = await this.#options.source({ checkpoint: this.#options.checkpointer, startBlock: 0n });
    this.#stream = stream;
    const queue: LedgerEvent[] = [];
    // Changed by the reader below: an object, so flow analysis does not take them as constant.
    const reading: { ended: boolean; failure: Error | undefined } = { ended: false, failure: undefined };
    let wakeHandler: (() => void) | undefined;
    let wakeReader: (() => void) | undefined;
    const reader = (async (): Promise<void> => {
      try {
        for await (const event of stream) {
          queue.push(event);
          wakeHandler?.();
          if (queue.length >= READ_AHEAD) await new Promise<void>((resolve) => (wakeReader = resolve));
        }
      } catch (error) {
        reading.failure = error instanceof Error ? error : new Error(String(error));
      } finally {
        reading.ended = true;
        wakeHandler?.();
      }
    })();
    try {
      while (!this.stopped) {
        if (queue.length === 0) {
          if (reading.ended) break;
          await new Promise<void>((resolve) => (wakeHandler = resolve));
          wakeHandler = undefined;
          continue;
        }
        const batch = queue.splice(0);
        wakeReader?.();
        wakeReader = undefined;
        await this.#handle(batch);
      }
      if (reading.failure && !this.stopped) throw reading.failure;
    } finally {
      this.#stream = undefined;
      stream.close();
      wakeReader?.();
      await reader;
      await this.#checkpoint().catch((error: unknown) =>
        this.#logger.warn({ err: error }, 'could not save the event checkpoint; it lags'),
      );
    }
  }

  /** Resolves once the follower has handled the event of `transactionId` in `block`, or any later one. */
  caughtUp(block: bigint, transactionId: string): Promise<void> {
    const at = this.#handled?.blockNumber ?? this.#options.checkpointer.getBlockNumber() ?? -1n;
    const tx = this.#handled ? this.#handled.transactionId : this.#options.checkpointer.getTransactionId();
    if (this.#stopped || at > block || (at === block && tx === transactionId)) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.add({ block, transactionId, resolve }));
  }

  async #handle(batch: readonly LedgerEvent[]): Promise<void> {
    const { log } = this.#options;
    const fresh = batch.filter(
      (event) => event.eventName === AUDIT_EVENT_NAME && !log.has(event.blockNumber, event.transactionId),
    );
    const items = fresh.flatMap((event) => {
      const payload = this.#payload(event);
      return payload ? [{ blockNumber: event.blockNumber, txId: event.transactionId, event: payload }] : [];
    });
    if (items.length > 0) await log.appendAll(items);
    const last = batch.at(-1);
    if (!last) return;
    this.#handled = { blockNumber: last.blockNumber, transactionId: last.transactionId };
    this.#unsaved += batch.length;
    if (this.#unsaved >= this.#every) await this.#checkpoint();
    for (const waiter of this.#waiters) {
      if (
        batch.some(
          (event) =>
            event.blockNumber > waiter.block ||
            (event.blockNumber === waiter.block && event.transactionId === waiter.transactionId),
        )
      ) {
        this.#waiters.delete(waiter);
        waiter.resolve();
      }
    }
  }

  async #checkpoint(): Promise<void> {
    const handled = this.#handled;
    if (!handled || this.#unsaved === 0) return;
    await this.#options.checkpointer.checkpointChaincodeEvent(handled);
    this.#unsaved = 0;
  }

  /** A payload that does not parse, or names another transaction, is skipped (and logged), never retried forever. */
  #payload(event: LedgerEvent): AuditEvent | undefined {
    try {
      const payload = parseAuditEvent(JSON.parse(Buffer.from(event.payload).toString('utf8')));
      if (payload.txId === event.transactionId) return payload;
      this.#logger.warn(
        { block: event.blockNumber.toString(), txId: event.transactionId },
        'audit event names another transaction; skipped',
      );
    } catch (error) {
      this.#logger.warn(
        { err: error, block: event.blockNumber.toString(), txId: event.transactionId },
        'malformed audit event; skipped',
      );
    }
    return undefined;
  }

  async #loop(): Promise<void> {
    const [first, most] = this.#options.retryMs ?? [500, 30_000];
    let delay = first;
    while (!this.#stopped) {
      try {
        await this.runOnce();
        delay = first;
      } catch (error) {
        if (!this.stopped)
          this.#logger.warn({ err: error, retryInMs: delay }, 'event stream failed; resuming from the checkpoint');
      }
      if (this.stopped) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        timer.unref();
        this.#wakeSleep = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wakeSleep = undefined;
      delay = Math.min(delay * 2, most);
    }
  }
}
