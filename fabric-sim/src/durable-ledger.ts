// SPDX-License-Identifier: Apache-2.0
import {
  closeSync,
  existsSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readSync,
  renameSync,
  statSync,
} from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { MemoryLedger, type CommittedEvent } from './memory-ledger';
import type { ReadWriteSet, VersionedValue } from './transaction-stub';
import { fail, type MedshareError } from '@medshare/protocol';

const LOG_VERSION = 1;
const REPLAY_CHUNK_BYTES = 1024 * 1024;
const SNAPSHOT_VERSION = 1;
const SNAPSHOT_FILE = 'ledger.snapshot';
const DEFAULT_COMPACT_AFTER_BYTES = 64 * 1024 * 1024;

interface SnapshotHeader {
  readonly v: number;
  readonly height: number;
  readonly keys: number;
  readonly events: number;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function parseSnapshotHeader(value: unknown): SnapshotHeader | undefined {
  const h = value as Partial<SnapshotHeader> | undefined;
  if (
    h?.v !== SNAPSHOT_VERSION ||
    !Number.isSafeInteger(h.height) ||
    !Number.isSafeInteger(h.keys) ||
    !Number.isSafeInteger(h.events)
  )
    return undefined;
  return h as SnapshotHeader;
}

interface LogLine {
  readonly v: number;
  readonly n: number;
  readonly txId: string;
  readonly ts: number;
  /** [key (base64), value (base64) | null = delete] */
  readonly w: Array<[string, string | null]>;
  readonly e?: [string, string];
}

/** What the ledger needs of its log file (tests inject faults through `wrap`). */
export interface LogFile {
  /** Writes at `position`; resolves with the number of bytes written, which may be fewer. */
  write(data: Uint8Array, position: number): Promise<number>;
  datasync(): Promise<void>;
  truncate(length: number): Promise<void>;
  close(): Promise<void>;
}

function fileHandleLog(handle: FileHandle): LogFile {
  return {
    write: async (data, position) => (await handle.write(data, 0, data.length, position)).bytesWritten,
    datasync: () => handle.datasync(),
    truncate: (length) => handle.truncate(length),
    close: () => handle.close(),
  };
}

/**
 * The embedded ledger: MemoryLedger's Fabric semantics, made durable with an append-only log of
 * committed write sets (one JSON line per transaction, numbered). A batch is written in full and
 * fdatasync'd before it becomes visible and before its transactions are acknowledged; if that
 * fails, the log is cut back to its last acknowledged byte (or, if even that fails, the ledger
 * stops taking writes), so nothing unacknowledged can sit in front of later acknowledged writes.
 * On open, lines are replayed in order; a torn last line (a crash mid-write, never acknowledged)
 * is cut off, and any other damage stops the start with an error rather than losing data.
 */
export class DurableLedger extends MemoryLedger {
  #file!: LogFile;
  readonly path: string;
  /** Bytes of the log that hold acknowledged transactions. */
  #size = 0;
  #closed = false;
  #broken = false;

  readonly #snapshotPath: string;
  readonly #compactAfterBytes: number;
  #snapshotHeight = 0;
  #snapshotBytes = 0;

  private constructor(dir: string, compactAfterBytes: number) {
    super();
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    this.path = join(dir, 'ledger.log');
    this.#snapshotPath = join(dir, SNAPSHOT_FILE);
    this.#compactAfterBytes = compactAfterBytes;
    if (existsSync(this.#snapshotPath)) this.#loadSnapshot();
    if (!existsSync(this.path)) return;
    // Replayed in chunks, never read whole: peak memory at start follows the live state, not
    // the log's size (a 167 MB log peaked at 423 MB RSS when read at once).
    const fd = openSync(this.path, 'r+');
    try {
      const { end, torn } = forEachLine(fd, (text, offset) => this.#replay(text, offset));
      this.#size = end;
      if (torn) {
        // A torn last line (no newline after it) was never acknowledged: cut it off.
        ftruncateSync(fd, end);
        fsyncSync(fd);
      }
    } finally {
      closeSync(fd);
    }
  }

  /** The snapshot a compaction wrote: header, then one line per key and per committed event. */
  #loadSnapshot(): void {
    const fd = openSync(this.#snapshotPath, 'r');
    let header: SnapshotHeader | undefined;
    const state: Array<[string, VersionedValue]> = [];
    const events: CommittedEvent[] = [];
    const damaged = (offset: number): MedshareError =>
      fail(
        'INTERNAL',
        `ledger snapshot ${this.#snapshotPath} is damaged at byte ${offset}; refusing to start rather than lose data`,
      );
    try {
      const { torn } = forEachLine(fd, (text, offset) => {
        const value = parseJson(text);
        if (!header) {
          header = parseSnapshotHeader(value);
          if (!header) throw damaged(offset);
          return;
        }
        if (!Array.isArray(value)) throw damaged(offset);
        const [kind, a, b, c, d] = value as unknown[];
        if (kind === 'k' && typeof a === 'string' && typeof b === 'string' && Number.isSafeInteger(c)) {
          state.push([
            Buffer.from(a, 'base64').toString('utf8'),
            { value: Buffer.from(b, 'base64'), version: c as number },
          ]);
        } else if (
          kind === 'e' &&
          Number.isSafeInteger(a) &&
          typeof b === 'string' &&
          typeof c === 'string' &&
          typeof d === 'string'
        ) {
          events.push({
            blockNumber: a as number,
            txId: b,
            eventName: c,
            payload: new Uint8Array(Buffer.from(d, 'base64')),
          });
        } else {
          throw damaged(offset);
        }
      });
      // A snapshot is renamed into place only once complete: anything else is damage.
      if (torn || !header || header.keys !== state.length || header.events !== events.length) throw damaged(0);
    } finally {
      closeSync(fd);
    }
    this.#snapshotHeight = header.height;
    this.#snapshotBytes = statSync(this.#snapshotPath).size;
    this.restore({ height: header.height, state, events });
  }

  #replay(text: string, offset: number): void {
    const parsed = parseLine(text);
    // Lines the snapshot already holds (a crash between writing it and emptying the log).
    if (parsed && parsed.n <= this.#snapshotHeight) return;
    if (!parsed || parsed.n !== this.height + 1) {
      throw fail(
        'INTERNAL',
        `ledger log ${this.path} is damaged at byte ${offset} (line for transaction ${this.height + 1}); refusing to start rather than lose data`,
      );
    }
    this.apply(toRwset(parsed), parsed.n);
  }

  /**
   * `compactAfterBytes`: the log is compacted into a snapshot once it holds more than this many
   * bytes and more than the last snapshot does (so rewriting the state costs at most as much as
   * writing the log did). Default 64 MiB.
   */
  static async open(
    dir: string,
    options: { wrap?: (file: LogFile) => LogFile; compactAfterBytes?: number } = {},
  ): Promise<DurableLedger> {
    const ledger = new DurableLedger(dir, options.compactAfterBytes ?? DEFAULT_COMPACT_AFTER_BYTES);
    const handle = await open(ledger.path, existsSync(ledger.path) ? 'r+' : 'w+', 0o600);
    const file = fileHandleLog(handle);
    ledger.#file = options.wrap ? options.wrap(file) : file;
    await ledger.#maybeCompact();
    return ledger;
  }

  /** Height and size of the state the last compaction wrote (0 when there is none). */
  get snapshot(): { readonly height: number; readonly bytes: number } {
    return { height: this.#snapshotHeight, bytes: this.#snapshotBytes };
  }

  /** Bytes of acknowledged transactions in the log (since the last snapshot). */
  get logBytes(): number {
    return this.#size;
  }

  protected override async afterCommit(): Promise<void> {
    await this.#maybeCompact();
  }

  async #maybeCompact(): Promise<void> {
    if (this.#closed || this.#broken || this.#size <= Math.max(this.#compactAfterBytes, this.#snapshotBytes)) return;
    try {
      await this.compact();
    } catch {
      // The log still holds everything; compaction is retried after the next batch.
    }
  }

  /**
   * Writes the committed state (keys with versions, committed events) to a new snapshot and
   * empties the log. Crash-safe in this order: the snapshot is written to a temporary file and
   * fsync'd, renamed into place and the folder fsync'd, and only then is the log truncated;
   * a crash in between leaves log lines the snapshot already holds, which the next start skips.
   * Runs between batches (afterCommit), so nothing commits meanwhile.
   */
  async compact(): Promise<void> {
    const tmp = `${this.#snapshotPath}.tmp`;
    const handle = await open(tmp, 'w', 0o600);
    const height = this.height;
    const entries = this.versionedEntries();
    const events = this.committedEvents;
    try {
      let pending: string[] = [
        JSON.stringify({
          v: SNAPSHOT_VERSION,
          height,
          keys: entries.length,
          events: events.length,
        } satisfies SnapshotHeader),
      ];
      const flush = async (): Promise<void> => {
        if (pending.length === 0) return;
        await handle.write(`${pending.join('\n')}\n`);
        pending = [];
      };
      for (const [key, { value, version }] of entries) {
        pending.push(
          JSON.stringify([
            'k',
            Buffer.from(key, 'utf8').toString('base64'),
            Buffer.from(value).toString('base64'),
            version,
          ]),
        );
        if (pending.length >= 256) await flush();
      }
      for (const e of events) {
        pending.push(
          JSON.stringify(['e', e.blockNumber, e.txId, e.eventName, Buffer.from(e.payload).toString('base64')]),
        );
        if (pending.length >= 1024) await flush();
      }
      await flush();
      await handle.datasync();
    } finally {
      await handle.close();
    }
    renameSync(tmp, this.#snapshotPath);
    const dirFd = openSync(dirname(this.#snapshotPath), 'r');
    try {
      fsyncSync(dirFd);
    } finally {
      closeSync(dirFd);
    }
    this.#snapshotHeight = height;
    this.#snapshotBytes = statSync(this.#snapshotPath).size;
    await this.#file.truncate(0);
    // The log is empty from here, whatever the flush below does: later writes start at 0.
    this.#size = 0;
    await this.#file.datasync();
  }

  /**
   * One write (completed however many calls it takes) and one fdatasync for the whole batch,
   * off the event loop (libuv's thread pool), so other requests' signature checks go on while
   * the disk flushes.
   */
  protected override async persist(
    batch: ReadonlyArray<{ readonly rwset: ReadWriteSet; readonly version: number }>,
  ): Promise<void> {
    if (this.#closed) throw fail('LEDGER_UNAVAILABLE', 'the ledger is closed');
    if (this.#broken)
      throw fail('LEDGER_UNAVAILABLE', 'the ledger log failed and could not be repaired; restart the gateway');
    const bytes = Buffer.from(
      batch.map(({ rwset, version }) => `${JSON.stringify(toLine(rwset, version))}\n`).join(''),
      'utf8',
    );
    try {
      for (let done = 0; done < bytes.length;) {
        const written = await this.#file.write(bytes.subarray(done), this.#size + done);
        if (written <= 0) throw new Error('the log file accepted no bytes');
        done += written;
      }
      await this.#file.datasync();
      this.#size += bytes.length;
    } catch (cause) {
      try {
        await this.#file.truncate(this.#size);
        await this.#file.datasync();
      } catch {
        this.#broken = true;
      }
      throw fail('LEDGER_UNAVAILABLE', 'could not write the ledger log; the transactions were not committed', cause);
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#file.close();
  }
}

/**
 * Calls `line(text, offset)` for each newline-terminated line of the file, reading it in chunks
 * (never whole). Returns the offset just past the last complete line; what follows it, if
 * anything, is a torn line.
 */
function forEachLine(fd: number, line: (text: string, offset: number) => void): { end: number; torn: boolean } {
  const chunk = Buffer.alloc(REPLAY_CHUNK_BYTES);
  let pending: Buffer = Buffer.alloc(0);
  let lineStart = 0; // file offset of pending[0]
  for (let position = 0; ;) {
    const read = readSync(fd, chunk, 0, chunk.length, position);
    if (read === 0) break;
    position += read;
    pending =
      pending.length === 0 ? Buffer.from(chunk.subarray(0, read)) : Buffer.concat([pending, chunk.subarray(0, read)]);
    let start = 0;
    for (let end = pending.indexOf(0x0a); end !== -1; end = pending.indexOf(0x0a, start)) {
      line(pending.subarray(start, end).toString('utf8'), lineStart + start);
      start = end + 1;
    }
    lineStart += start;
    pending = Buffer.from(pending.subarray(start));
  }
  return { end: lineStart, torn: pending.length > 0 };
}

function toLine(rwset: ReadWriteSet, version: number): LogLine {
  return {
    v: LOG_VERSION,
    n: version,
    txId: rwset.txId,
    ts: rwset.timestamp,
    w: [...rwset.writes].map(([k, v]) => [
      Buffer.from(k, 'utf8').toString('base64'),
      v === undefined ? null : Buffer.from(v).toString('base64'),
    ]),
    ...(rwset.event
      ? { e: [rwset.event.eventName, Buffer.from(rwset.event.payload).toString('base64')] as [string, string] }
      : {}),
  };
}

function parseLine(text: string): LogLine | undefined {
  try {
    const value = JSON.parse(text) as LogLine;
    if (value.v !== LOG_VERSION || !Number.isSafeInteger(value.n) || !Array.isArray(value.w)) return undefined;
    return value;
  } catch {
    return undefined;
  }
}

function toRwset(line: LogLine): ReadWriteSet {
  const writes = new Map<string, Uint8Array | undefined>();
  for (const [k, v] of line.w)
    writes.set(Buffer.from(k, 'base64').toString('utf8'), v === null ? undefined : Buffer.from(v, 'base64'));
  return {
    txId: line.txId,
    timestamp: line.ts,
    reads: new Map(),
    writes,
    event: line.e ? { eventName: line.e[0], payload: new Uint8Array(Buffer.from(line.e[1], 'base64')) } : undefined,
    paginated: false,
  };
}
