// SPDX-License-Identifier: Apache-2.0
import { fail } from '@medshare/protocol';

/** A sealed request whose ciphertext is longer than this many characters (48 KiB of plaintext) is heavy. */
export const HEAVY_CIPHERTEXT_CHARS = 64 * 1024;

/** How many heavy requests of one session may wait for their turn behind the one being opened. */
export const HEAVY_WAITING_PER_SESSION = 16;

/** Lets the event loop take the I/O and timers due (other clients' requests) before going on. */
export function giveWay(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

interface Line {
  running: boolean;
  readonly waiting: Array<() => void>;
}

/**
 * Turns for the heavy requests of each session (a 512 KiB upload costs the gateway's one
 * JavaScript thread tens of milliseconds to open and check): one at a time per session, in
 * arrival order, the rest waiting, so a session that sends many at once is served one after the
 * other, and between its turns (and between the steps of a turn, `giveWay`) the thread serves
 * everyone else. Light requests never take a turn. A session with `maxWaiting` heavy requests
 * waiting is refused SESSION_BUSY before anything of the new one is read: nothing is decrypted,
 * no nonce is spent, and the same request can be sent again.
 */
export class HeavyTurns {
  readonly #lines = new Map<string, Line>();

  constructor(private readonly maxWaiting: number = HEAVY_WAITING_PER_SESSION) {
    if (!Number.isSafeInteger(maxWaiting) || maxWaiting < 0) throw new RangeError('maxWaiting must be an integer ≥ 0');
  }

  /** Heavy requests of `key` running or waiting (0 when it has none). */
  load(key: string): number {
    const line = this.#lines.get(key);
    return line ? line.waiting.length + (line.running ? 1 : 0) : 0;
  }

  /** Runs `work` in `key`'s next turn; throws SESSION_BUSY (nothing run) when `maxWaiting` are waiting. */
  async run<T>(key: string, work: () => Promise<T>): Promise<T> {
    let line = this.#lines.get(key);
    if (!line) {
      line = { running: false, waiting: [] };
      this.#lines.set(key, line);
    }
    if (line.running) {
      if (line.waiting.length >= this.maxWaiting)
        throw fail(
          'SESSION_BUSY',
          `this session has ${line.waiting.length} large requests waiting behind the one being opened; send it again once one is answered`,
        );
      await new Promise<void>((resolve) => line.waiting.push(resolve));
    }
    line.running = true;
    try {
      return await work();
    } finally {
      const next = line.waiting.shift();
      if (next) next();
      else {
        line.running = false;
        this.#lines.delete(key);
      }
    }
  }
}
