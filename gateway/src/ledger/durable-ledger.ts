import { closeSync, existsSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { MemoryLedger, type ReadWriteSet } from '@medshare/chaincode';
import { fail } from '@medshare/protocol';

const LOG_VERSION = 1;
const REPLAY_CHUNK_BYTES = 1024 * 1024;

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

  private constructor(dir: string) {
    // The live state only: memory follows the state, not the history of every write.
    super({ keepHistory: false });
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    this.path = join(dir, 'ledger.log');
    if (!existsSync(this.path)) return;
    // Replayed in chunks, never read whole: peak memory at start follows the live state, not
    // the log's size (a 167 MB log peaked at 423 MB RSS when read at once).
    const fd = openSync(this.path, 'r+');
    try {
      const chunk = Buffer.alloc(REPLAY_CHUNK_BYTES);
      let pending: Buffer = Buffer.alloc(0);
      let lineStart = 0; // file offset of pending[0]
      for (let position = 0; ;) {
        const read = readSync(fd, chunk, 0, chunk.length, position);
        if (read === 0) break;
        position += read;
        pending = pending.length === 0 ? Buffer.from(chunk.subarray(0, read)) : Buffer.concat([pending, chunk.subarray(0, read)]);
        let start = 0;
        for (let end = pending.indexOf(0x0a); end !== -1; end = pending.indexOf(0x0a, start)) {
          this.#replay(pending.subarray(start, end).toString('utf8'), lineStart + start);
          start = end + 1;
        }
        lineStart += start;
        pending = Buffer.from(pending.subarray(start));
      }
      this.#size = lineStart;
      if (pending.length > 0) {
        // A torn last line (no newline after it) was never acknowledged: cut it off.
        ftruncateSync(fd, lineStart);
        fsyncSync(fd);
      }
    } finally {
      closeSync(fd);
    }
  }

  #replay(text: string, offset: number): void {
    const parsed = parseLine(text);
    if (!parsed || parsed.n !== this.height + 1) {
      throw fail(
        'INTERNAL',
        `ledger log ${this.path} is damaged at byte ${offset} (line for transaction ${this.height + 1}); refusing to start rather than lose data`,
      );
    }
    this.apply(toRwset(parsed), parsed.n);
  }

  static async open(dir: string, options: { wrap?: (file: LogFile) => LogFile } = {}): Promise<DurableLedger> {
    const ledger = new DurableLedger(dir);
    const handle = await open(ledger.path, existsSync(ledger.path) ? 'r+' : 'w+', 0o600);
    const file = fileHandleLog(handle);
    ledger.#file = options.wrap ? options.wrap(file) : file;
    return ledger;
  }

  /**
   * One write (completed however many calls it takes) and one fdatasync for the whole batch,
   * off the event loop (libuv's thread pool), so other requests' signature checks go on while
   * the disk flushes.
   */
  protected override async persist(batch: ReadonlyArray<{ readonly rwset: ReadWriteSet; readonly version: number }>): Promise<void> {
    if (this.#closed) throw fail('LEDGER_UNAVAILABLE', 'the ledger is closed');
    if (this.#broken) throw fail('LEDGER_UNAVAILABLE', 'the ledger log failed and could not be repaired; restart the gateway');
    const bytes = Buffer.from(batch.map(({ rwset, version }) => `${JSON.stringify(toLine(rwset, version))}\n`).join(''), 'utf8');
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

function toLine(rwset: ReadWriteSet, version: number): LogLine {
  return {
    v: LOG_VERSION,
    n: version,
    txId: rwset.txId,
    ts: rwset.timestamp,
    w: [...rwset.writes].map(([k, v]) => [Buffer.from(k, 'utf8').toString('base64'), v === undefined ? null : Buffer.from(v).toString('base64')]),
    ...(rwset.event ? { e: [rwset.event.eventName, Buffer.from(rwset.event.payload).toString('base64')] as [string, string] } : {}),
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
  for (const [k, v] of line.w) writes.set(Buffer.from(k, 'base64').toString('utf8'), v === null ? undefined : Buffer.from(v, 'base64'));
  return {
    txId: line.txId,
    timestamp: line.ts,
    reads: new Map(),
    writes,
    event: line.e ? { eventName: line.e[0], payload: new Uint8Array(Buffer.from(line.e[1], 'base64')) } : undefined,
    paginated: false,
  };
}
