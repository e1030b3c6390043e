import { closeSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readFileSync, writeSync, existsSync } from 'node:fs';
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
  readonly #fd: number;
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
    this.#fd = openSync(this.path, 'a+', 0o600);
    if (good < existing.length) {
      ftruncateSync(this.#fd, good);
      fsyncSync(this.#fd);
    }
  }

  static open(dir: string): DurableLedger {
    return new DurableLedger(dir);
  }

  protected override persist(rwset: ReadWriteSet, version: number): Promise<void> {
    if (this.#closed) return Promise.reject(new Error('ledger is closed'));
    const line: LogLine = {
      v: LOG_VERSION,
      n: version,
      txId: rwset.txId,
      ts: rwset.timestamp,
      w: [...rwset.writes].map(([k, v]) => [Buffer.from(k, 'utf8').toString('base64'), v === undefined ? null : Buffer.from(v).toString('base64')]),
      ...(rwset.event ? { e: [rwset.event.eventName, Buffer.from(rwset.event.payload).toString('base64')] as [string, string] } : {}),
    };
    // Synchronous write + fsync: the batch is durable before apply() makes it visible; commits
    // are serialized by MemoryLedger.commit, so lines never interleave.
    writeSync(this.#fd, `${JSON.stringify(line)}\n`);
    fsyncSync(this.#fd);
    return Promise.resolve();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    closeSync(this.#fd);
  }
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
