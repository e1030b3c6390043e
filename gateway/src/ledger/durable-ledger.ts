import { closeSync, existsSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { MemoryLedger, type ReadWriteSet } from '@medshare/chaincode';

const LOG_VERSION = 1;

interface LogLine {
  readonly v: number;
  readonly n: number;
  readonly txId: string;
  readonly ts: number;
  /** [key (base64), value (base64) | null = delete] */
  readonly w: Array<[string, string | null]>;
  readonly e?: [string, string];
}

/**
 * The embedded ledger: MemoryLedger's Fabric semantics, made durable with an append-only log of
 * committed write sets (one JSON line per block). A batch is written and fsync'd before it
 * becomes visible and before its transaction is acknowledged. On open, complete lines are replayed in order; a torn last line
 * (a crash mid-write) was never acknowledged and is cut off.
 */
export class DurableLedger extends MemoryLedger {
  #file!: FileHandle;
  readonly path: string;
  #closed = false;

  private constructor(dir: string) {
    super();
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    this.path = join(dir, 'ledger.log');
    const existing = existsSync(this.path) ? readFileSync(this.path) : Buffer.alloc(0);
    let good = 0;
    let start = 0;
    for (let end = existing.indexOf(0x0a); end !== -1; end = existing.indexOf(0x0a, start)) {
      const line = existing.subarray(start, end).toString('utf8');
      const parsed = parseLine(line);
      if (!parsed) break;
      this.apply(toRwset(parsed), parsed.n);
      start = end + 1;
      good = start;
    }
    if (good < existing.length) {
      // A torn last line was never acknowledged: cut it off before appending.
      const fd = openSync(this.path, 'r+');
      ftruncateSync(fd, good);
      fsyncSync(fd);
      closeSync(fd);
    }
  }

  static async open(dir: string): Promise<DurableLedger> {
    const ledger = new DurableLedger(dir);
    ledger.#file = await open(ledger.path, 'a', 0o600);
    return ledger;
  }

  /**
   * One append and one fdatasync for the whole batch, off the event loop (libuv's thread pool),
   * so signature checks of other requests go on while the disk flushes.
   */
  protected override async persist(batch: ReadonlyArray<{ readonly rwset: ReadWriteSet; readonly version: number }>): Promise<void> {
    if (this.#closed) throw new Error('ledger is closed');
    const text = batch.map(({ rwset, version }) => `${JSON.stringify(toLine(rwset, version))}\n`).join('');
    await this.#file.write(text);
    await this.#file.datasync();
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
  for (const [k, v] of line.w) writes.set(Buffer.from(k, 'base64').toString('utf8'), v === null ? undefined : new Uint8Array(Buffer.from(v, 'base64')));
  return {
    txId: line.txId,
    timestamp: line.ts,
    reads: new Map(),
    writes,
    event: line.e ? { eventName: line.e[0], payload: new Uint8Array(Buffer.from(line.e[1], 'base64')) } : undefined,
    paginated: false,
  };
}
