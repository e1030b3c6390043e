// SPDX-License-Identifier: Apache-2.0
/**
 * §16 leaves (docs/protocol.md) computed on a worker thread, so that a stream's SM3 runs on one
 * core while its SM4 runs on the calling one. One small worker per stream, started on the first
 * job and terminated by close(); chunks travel in SharedArrayBuffer slots (no copy on the way to
 * the worker), the 32-byte leaves come back in order.
 */
import { Worker } from 'node:worker_threads';
import { FILE_LABEL } from '@medshare/crypto/chunked-file';
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

export function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
