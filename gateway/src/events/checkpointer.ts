// SPDX-License-Identifier: Apache-2.0
import { closeSync, fsyncSync, openSync } from 'node:fs';
import { open, readFile, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { ChaincodeEvent, Checkpointer } from '@hyperledger/fabric-gateway';
import { fail } from '@medshare/protocol';

interface State {
  readonly blockNumber?: string;
  readonly transactionId?: string;
}

/**
 * fabric-gateway's `Checkpointer`, in the same file format as its `checkpointers.file(path)`
 * (`{"blockNumber":"<decimal>","transactionId":"…"}`), but crash-safe: each checkpoint is
 * written to a temporary file, fsync'd and renamed over the old one (then the folder is
 * fsync'd), so a crash leaves the old checkpoint or the new one, never a torn file.
 * fabric-gateway's own writes the file in place without fsync; a crash mid-write leaves JSON
 * that its `init()` refuses to parse, and the gateway would not start.
 */
export class DurableCheckpointer implements Checkpointer {
  readonly path: string;
  #blockNumber: bigint | undefined;
  #transactionId: string | undefined;

  private constructor(path: string, state: State) {
    this.path = path;
    this.#blockNumber = state.blockNumber === undefined ? undefined : BigInt(state.blockNumber);
    this.#transactionId = state.transactionId;
  }

  static async open(path: string): Promise<DurableCheckpointer> {
    let text = '';
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    return new DurableCheckpointer(path, text ? parseState(text, path) : {});
  }

  getBlockNumber(): bigint | undefined {
    return this.#blockNumber;
  }

  getTransactionId(): string | undefined {
    return this.#transactionId;
  }

  async checkpointBlock(blockNumber: bigint): Promise<void> {
    await this.#save(blockNumber + 1n, undefined);
  }

  async checkpointTransaction(blockNumber: bigint, transactionId: string): Promise<void> {
    await this.#save(blockNumber, transactionId);
  }

  async checkpointChaincodeEvent(event: Pick<ChaincodeEvent, 'blockNumber' | 'transactionId'>): Promise<void> {
    await this.checkpointTransaction(event.blockNumber, event.transactionId);
  }

  async #save(blockNumber: bigint, transactionId: string | undefined): Promise<void> {
    const state: State = {
      blockNumber: blockNumber.toString(),
      ...(transactionId === undefined ? {} : { transactionId }),
    };
    const temporary = `${this.path}.tmp`;
    const handle = await open(temporary, 'w', 0o600);
    try {
      await handle.writeFile(JSON.stringify(state));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, this.path);
    syncFolder(dirname(this.path));
    this.#blockNumber = blockNumber;
    this.#transactionId = transactionId;
  }
}

function parseState(text: string, path: string): State {
  try {
    const value = JSON.parse(text) as State;
    if (value.blockNumber !== undefined && !/^[0-9]{1,20}$/.test(value.blockNumber))
      throw new Error('blockNumber is not a decimal string');
    if (value.transactionId !== undefined && typeof value.transactionId !== 'string')
      throw new Error('transactionId is not a string');
    return value;
  } catch (cause) {
    throw fail(
      'INTERNAL',
      `event checkpoint ${path} is damaged; refusing to start rather than skip or repeat events`,
      cause,
    );
  }
}

/** A rename is durable only once its folder is. */
export function syncFolder(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
