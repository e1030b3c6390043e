// SPDX-License-Identifier: Apache-2.0
/**
 * §16 leaves (docs/protocol.md) computed on a worker thread, so that a stream's SM3 runs on one
 * core while its SM4 runs on the calling one. One small worker per stream, started on the first
 * job and terminated by close(); chunks travel in SharedArrayBuffer slots (no copy on the way to
 * the worker), the 32-byte leaves come back in order.
 */
import { Worker } from 'node:worker_threads';
import { FILE_LABEL, leafHash } from '@medshare/crypto/chunked-file';
import { fail } from '../errors/medshare-error';

/** At most this many chunks are hashed or waiting to be, per stream (the memory bound). */
export const MAX_IN_FLIGHT = 2;

// The worker's whole program, evaluated: nothing to resolve from dist/ or through ts-jest. The
// leaf is crypto's leafHash: SM3(0x00 ‖ "medshare/v1/file/chunk" ‖ I2OSP(i, 8) ‖ final ‖ ciphertext_i);
// the tests compare the two on every size.
const WORKER_SOURCE = `
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const prefix = Buffer.from(workerData.prefix);
const head = Buffer.alloc(9);
parentPort.on('message', ({ index, final, bytes }) => {
  head.writeBigUInt64BE(BigInt(index), 0);
  head[8] = final ? 1 : 0;
  parentPort.postMessage(createHash('sm3').update(prefix).update(head).update(bytes).digest());
});
`;
const LEAF_PREFIX = Buffer.concat([Buffer.of(0x00), Buffer.from(`${FILE_LABEL}/chunk`, 'utf8')]);

let liveWorkers = 0;
/** Leaf workers started and not yet exited, in this process (for tests: none may outlive its stream). */
export function liveLeafWorkers(): number {
  return liveWorkers;
}

interface Job {
  readonly resolve: (leaf: Uint8Array) => void;
  readonly reject: (error: Error) => void;
}

export class LeafHasher {
  #worker: Worker | undefined;
  readonly #jobs: Job[] = [];
  #closed = false;

  /** Jobs posted and not yet answered. */
  get inFlight(): number {
    return this.#jobs.length;
  }

  /** Whether a worker has been started (a stream of one chunk never starts one). */
  get started(): boolean {
    return this.#worker !== undefined;
  }

  /** leaf_i of `bytes` (best in a SharedArrayBuffer: other memory is copied to the worker). */
  hash(index: number, final: boolean, bytes: Uint8Array): Promise<Uint8Array> {
    if (this.#closed) return Promise.reject(new Error('LeafHasher: closed'));
    const worker = this.#worker ?? this.#start();
    return new Promise<Uint8Array>((resolve, reject) => {
      this.#jobs.push({ resolve, reject });
      // A pending job keeps the process alive; an idle worker does not (an abandoned stream must not hang it).
      if (this.#jobs.length === 1) worker.ref();
      worker.postMessage({ index, final, bytes });
    });
  }

  /** Terminates the worker; jobs not yet answered are rejected. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const worker = this.#worker;
    if (worker) void worker.terminate();
    this.#failAll(new Error('LeafHasher: closed'));
  }

  #start(): Worker {
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { prefix: LEAF_PREFIX } });
    liveWorkers++;
    worker.on('message', (leaf: Uint8Array) => {
      const job = this.#jobs.shift();
      if (this.#jobs.length === 0) worker.unref();
      job?.resolve(leaf);
    });
    worker.on('error', (error) => this.#failAll(fail('INTERNAL', 'the leaf hasher failed', error)));
    worker.once('exit', () => {
      liveWorkers--;
      this.#failAll(fail('INTERNAL', 'the leaf hasher stopped'));
    });
    this.#worker = worker;
    return worker;
  }

  #failAll(error: Error): void {
    for (const job of this.#jobs.splice(0)) job.reject(error);
  }
}

/** Chunk-sized SharedArrayBuffers, reused: a stream allocates at most MAX_IN_FLIGHT + 1 of them. */
export class ChunkSlots {
  readonly #bytes: number;
  readonly #free: SharedArrayBuffer[] = [];

  constructor(chunkBytes: number) {
    this.#bytes = chunkBytes;
  }

  take(length: number): Uint8Array {
    return new Uint8Array(this.#free.pop() ?? new SharedArrayBuffer(this.#bytes), 0, length);
  }

  give(slot: Uint8Array): void {
    if (slot.buffer instanceof SharedArrayBuffer && slot.buffer.byteLength === this.#bytes)
      this.#free.push(slot.buffer);
  }
}

/**
 * The in-order leaves of one stream's chunks, hashed on a LeafHasher's worker: the one queue the
 * SDK's encryptor and the gateway's staging writer share. A stream gathers a chunk into `slot()`,
 * waits `whenRoom` while MAX_IN_FLIGHT chunks are being hashed (the memory bound), `submit`s it
 * once its `final` flag is known, and `whenDrained` before it ends; each leaf lands at its index
 * in `leaves` (which a resumed stream may pass in, holding the leaves of the chunks before it).
 * A stream's only chunk (final, no worker started yet) is hashed inline: no worker for it.
 */
export class LeafQueue {
  readonly leaves: Uint8Array[];
  readonly #hasher = new LeafHasher();
  readonly #slots: ChunkSlots;
  readonly #chunkBytes: number;
  readonly #onFailure: ((error: Error) => void) | undefined;
  #hashing = 0;
  #failure: Error | undefined;
  #waiting: { readonly ready: () => boolean; readonly next: () => void } | undefined;
  #closed = false;

  constructor(
    chunkBytes: number,
    options: {
      readonly leaves?: Uint8Array[];
      /** A hash that failed while nobody waits: the stream fails itself with it. */
      readonly onFailure?: (error: Error) => void;
    } = {},
  ) {
    this.#chunkBytes = chunkBytes;
    this.#slots = new ChunkSlots(chunkBytes);
    this.leaves = options.leaves ?? [];
    this.#onFailure = options.onFailure;
  }

  /** The first failure of a hash (or of the worker), if any: every later step should stop with it. */
  get failure(): Error | undefined {
    return this.#failure;
  }

  /** Whether MAX_IN_FLIGHT chunks are being hashed (a stream then waits with whenRoom). */
  get full(): boolean {
    return this.#hashing >= MAX_IN_FLIGHT;
  }

  /** A shared slot to gather a chunk of `length` bytes in (given back once the chunk is hashed). */
  slot(length = this.#chunkBytes): Uint8Array {
    return this.#slots.take(length);
  }

  /** Hashes chunk `index` (§16 leaf_i = SM3(0x00 ‖ "medshare/v1/file/chunk" ‖ I2OSP(i, 8) ‖ final ‖ ciphertext_i)). */
  submit(index: number, final: boolean, bytes: Uint8Array): void {
    if (final && !this.#hasher.started) {
      this.leaves[index] = leafHash(index, final, bytes);
      return;
    }
    this.#hashing++;
    this.#hasher.hash(index, final, bytes).then(
      (leaf) => {
        this.leaves[index] = leaf;
        this.#slots.give(bytes);
        this.#settled();
      },
      (error: unknown) => {
        this.#failure ??= toError(error);
        this.#settled();
      },
    );
  }

  /** Calls `next` once fewer than MAX_IN_FLIGHT chunks are being hashed, or a hash failed (at once if so). */
  whenRoom(next: () => void): void {
    this.#when(() => !this.full, next);
  }

  /** Calls `next` once every chunk submitted is hashed, or a hash failed (at once if so). */
  whenDrained(next: () => void): void {
    this.#when(() => this.#hashing === 0, next);
  }

  /** whenDrained as a promise that rejects with the failure. */
  drained(): Promise<readonly Uint8Array[]> {
    return new Promise((resolve, reject) =>
      this.whenDrained(() => (this.#failure ? reject(this.#failure) : resolve(this.leaves))),
    );
  }

  /** Stops the worker (jobs not yet answered are dropped, nobody is called back). Idempotent. */
  close(): void {
    this.#closed = true;
    this.#waiting = undefined;
    this.#hasher.close();
  }

  #when(ready: () => boolean, next: () => void): void {
    if (this.#failure || ready()) next();
    else this.#waiting = { ready, next };
  }

  #settled(): void {
    this.#hashing--;
    if (this.#closed) return;
    const waiting = this.#waiting;
    if (waiting && (this.#failure || waiting.ready())) {
      this.#waiting = undefined;
      waiting.next();
    } else if (!waiting && this.#failure) this.#onFailure?.(this.#failure);
  }
}

export function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
