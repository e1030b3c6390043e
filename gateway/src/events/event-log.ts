// SPDX-License-Identifier: Apache-2.0
import { closeSync, existsSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { open, rename, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import {
  canonicalize,
  compareEventPositions,
  fail,
  formatEventId,
  parseAuditEvent,
  parseEventId,
  type AuditEvent,
  type DeliveredEvent,
  type EventPosition,
} from '@medshare/protocol';
import { syncFolder } from './checkpointer';

/** One followed event: its id (position), the transaction that emitted it, and the payload. */
export interface LoggedEvent {
  readonly id: string;
  readonly position: EventPosition;
  readonly txId: string;
  readonly event: AuditEvent;
}

export interface EventLogOptions {
  /** How many events to keep; older ones are dropped when the log is compacted. */
  readonly retain: number;
}

const LOG_VERSION = 1;

/**
 * The gateway's durable log of followed audit events: an append-only file of JSON lines, each
 * fdatasync'd before it is visible to streams, and bounded (at most `retain` events, plus the
 * rest of the newest block, survive a compaction, which rewrites the file atomically and
 * remembers the newest dropped id as the horizon). Ids are `"<block>-<index>"`: the index counts
 * the audit events of one block, so every gateway following the same channel assigns the same
 * id to the same event. On open a torn last line (never acknowledged) is cut off; damage
 * anywhere else stops the start.
 */
export class EventLog {
  readonly path: string;
  readonly #retain: number;
  #entries: LoggedEvent[] = [];
  #horizon: EventPosition | undefined;
  #lastBlockTxIds = new Set<string>();
  #handle!: FileHandle;
  #size = 0;
  #tail: Promise<unknown> = Promise.resolve();
  #closed = false;
  readonly #listeners = new Set<(entry: LoggedEvent) => void>();

  private constructor(dir: string, options: EventLogOptions) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    this.path = join(dir, 'events.log');
    this.#retain = options.retain;
    const existing = existsSync(this.path) ? readFileSync(this.path) : Buffer.alloc(0);
    let start = 0;
    for (let end = existing.indexOf(0x0a); end !== -1; end = existing.indexOf(0x0a, start)) {
      if (!this.#load(existing.subarray(start, end).toString('utf8'), start === 0)) {
        throw fail(
          'INTERNAL',
          `event log ${this.path} is damaged at byte ${start}; refusing to start rather than lose or repeat events`,
        );
      }
      start = end + 1;
    }
    this.#size = start;
    if (start < existing.length) {
      const fd = openSync(this.path, 'r+');
      ftruncateSync(fd, start);
      fsyncSync(fd);
      closeSync(fd);
    }
  }

  static async open(dir: string, options: EventLogOptions): Promise<EventLog> {
    const log = new EventLog(dir, options);
    log.#handle = await open(log.path, existsSync(log.path) ? 'r+' : 'w+', 0o600);
    return log;
  }

  /** The newest logged event, if any. */
  get last(): LoggedEvent | undefined {
    return this.#entries.at(-1);
  }

  get size(): number {
    return this.#entries.length;
  }

  /** The newest id that compaction dropped: resuming from before it could miss events. */
  get horizon(): string | undefined {
    return this.#horizon && formatEventId(this.#horizon);
  }

  get horizonPosition(): EventPosition | undefined {
    return this.#horizon;
  }

  /**
   * Whether the follower has already logged (or passed) the event of this transaction: replays
   * after a crash between a log append and its checkpoint arrive again, and are dropped here.
   */
  has(blockNumber: bigint, transactionId: string): boolean {
    const last = this.last;
    if (!last) return false;
    const block = BigInt(last.position.block);
    return blockNumber < block || (blockNumber === block && this.#lastBlockTxIds.has(transactionId));
  }

  /** Events after `after` (all retained ones when undefined), oldest first. */
  after(after: EventPosition | undefined): LoggedEvent[] {
    if (!after) return [...this.#entries];
    let lo = 0;
    let hi = this.#entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (compareEventPositions((this.#entries[mid] as LoggedEvent).position, after) <= 0) lo = mid + 1;
      else hi = mid;
    }
    return this.#entries.slice(lo);
  }

  /** Refuses a resume point older than the horizon (some events after it may be gone). */
  assertResumable(after: EventPosition | undefined): void {
    if (after && this.#horizon && compareEventPositions(after, this.#horizon) < 0) {
      throw fail(
        'EVENT_ID_EXPIRED',
        `events up to ${formatEventId(this.#horizon)} are no longer retained; resume without an event id`,
      );
    }
  }

  onAppend(listener: (entry: LoggedEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /** Appends one event of block `blockNumber` (durable when this resolves), then tells listeners. */
  async append(blockNumber: bigint, txId: string, event: AuditEvent): Promise<LoggedEvent> {
    return (await this.appendAll([{ blockNumber, txId, event }]))[0] as LoggedEvent;
  }

  /**
   * Appends events in order with one write and one fdatasync (the follower's batches: events
   * that arrived while the previous batch was being flushed). They become visible to streams,
   * all together, only once durable.
   */
  appendAll(
    items: ReadonlyArray<{ readonly blockNumber: bigint; readonly txId: string; readonly event: AuditEvent }>,
  ): Promise<LoggedEvent[]> {
    const run = this.#tail.then(() => this.#append(items));
    this.#tail = run.catch(() => undefined);
    return run;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#tail;
    await this.#handle.close();
  }

  async #append(
    items: ReadonlyArray<{ readonly blockNumber: bigint; readonly txId: string; readonly event: AuditEvent }>,
  ): Promise<LoggedEvent[]> {
    if (this.#closed) throw fail('INTERNAL', 'the event log is closed');
    const entries = this.#positioned(items);
    if (entries.length === 0) return entries;
    const bytes = Buffer.from(entries.map((entry) => `${lineOf(entry)}\n`).join(''), 'utf8');
    await this.#writeDurably(bytes);
    this.#size += bytes.length;
    for (const entry of entries) this.#push(entry);
    for (const entry of entries) for (const listener of this.#listeners) listener(entry);
    if (this.#entries.length > this.#retain + Math.max(16, Math.floor(this.#retain / 4))) await this.#compact();
    return entries;
  }

  /** Gives each event its position after the last logged one: blocks never go back, indexes count within a block. */
  #positioned(
    items: ReadonlyArray<{ readonly blockNumber: bigint; readonly txId: string; readonly event: AuditEvent }>,
  ): LoggedEvent[] {
    const entries: LoggedEvent[] = [];
    let last = this.last?.position;
    for (const { blockNumber, txId, event } of items) {
      if (blockNumber > BigInt(Number.MAX_SAFE_INTEGER)) throw fail('INTERNAL', `block ${blockNumber} is beyond 2^53`);
      const block = Number(blockNumber);
      if (last && block < last.block)
        throw fail('INTERNAL', `event of block ${block} arrived after block ${last.block}`);
      const position = { block, index: last?.block === block ? last.index + 1 : 0 };
      entries.push({ id: formatEventId(position), position, txId, event });
      last = position;
    }
    return entries;
  }

  /** Writes `bytes` at the end of the log and fdatasyncs; on failure the log is cut back to its last whole line. */
  async #writeDurably(bytes: Buffer): Promise<void> {
    try {
      for (let done = 0; done < bytes.length;) {
        const { bytesWritten } = await this.#handle.write(bytes, done, bytes.length - done, this.#size + done);
        if (bytesWritten <= 0) throw new Error('the event log accepted no bytes');
        done += bytesWritten;
      }
      await this.#handle.datasync();
    } catch (cause) {
      // Cut a partial batch off so the next append starts on a line boundary.
      await this.#handle.truncate(this.#size).catch(() => undefined);
      throw fail('INTERNAL', 'could not write the event log', cause);
    }
  }

  #push(entry: LoggedEvent): void {
    if (this.last?.position.block !== entry.position.block) this.#lastBlockTxIds = new Set();
    this.#lastBlockTxIds.add(entry.txId);
    this.#entries.push(entry);
  }

  /** Keeps the newest `retain` events (and all of the newest block), atomically. */
  async #compact(): Promise<void> {
    let keepFrom = this.#entries.length - this.#retain;
    const lastBlock = this.last?.position.block;
    while (keepFrom > 0 && this.#entries[keepFrom - 1]?.position.block === lastBlock) keepFrom -= 1;
    if (keepFrom <= 0) return;
    const horizon = (this.#entries[keepFrom - 1] as LoggedEvent).position;
    const kept = this.#entries.slice(keepFrom);
    const text =
      [canonicalize({ v: LOG_VERSION, horizon: formatEventId(horizon) }), ...kept.map(lineOf)].join('\n') + '\n';
    const temporary = `${this.path}.tmp`;
    const handle = await open(temporary, 'w', 0o600);
    try {
      await handle.writeFile(text);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, this.path);
    syncFolder(join(this.path, '..'));
    await this.#handle.close();
    this.#handle = await open(this.path, 'r+');
    this.#size = Buffer.byteLength(text);
    this.#entries = kept;
    this.#horizon = horizon;
  }

  /** Loads one line at open; false when it is damaged. */
  #load(text: string, first: boolean): boolean {
    try {
      const value = JSON.parse(text) as Record<string, unknown>;
      if (value.v !== LOG_VERSION) return false;
      if (first && typeof value.horizon === 'string' && Object.keys(value).length === 2) {
        this.#horizon = parseEventId(value.horizon);
        return true;
      }
      const position = parseEventId(value.id);
      const last = this.last;
      if (last && compareEventPositions(position, last.position) <= 0) return false;
      if (typeof value.txId !== 'string' || value.txId.length === 0) return false;
      this.#push({ id: formatEventId(position), position, txId: value.txId, event: parseAuditEvent(value.event) });
      return true;
    } catch {
      return false;
    }
  }
}

function lineOf(entry: LoggedEvent): string {
  return canonicalize({ v: LOG_VERSION, id: entry.id, txId: entry.txId, event: entry.event as never });
}

/** What a stream delivers for a logged event. */
export function delivered(entry: LoggedEvent): DeliveredEvent {
  return { id: entry.id, ...entry.event };
}
