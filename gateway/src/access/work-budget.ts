// SPDX-License-Identifier: Apache-2.0
import { fail } from '@medshare/protocol';

export interface WorkBudgetOptions {
  /** CPU milliseconds per second the guarded work may take, all callers together. */
  readonly msPerSecond: number;
  /** Refill clock in ms (Date.now by default). */
  readonly clock?: () => number;
  /** How the cost of one piece of work is measured, in ms (this thread's CPU time by default). */
  readonly measure?: () => number;
}

/**
 * CPU time of this thread in ms: what the work cost the gateway, not the wall time it took, which
 * on a loaded machine includes time the process was not even running (a flaky refusal).
 */
function threadCpuMs(): number {
  const { user, system } = process.threadCpuUsage();
  return (user + system) / 1000;
}

/**
 * A global budget for expensive work a caller can ask for before it has proved anything (SM2 in
 * session opens and directory signatures). The gateway's JavaScript runs on one thread and SM2 is
 * synchronous, so a cap on concurrent work would not bound it; this bounds its share of that
 * thread instead. A token bucket holds up to one second's worth; each piece of work is charged
 * what it actually took, so an expensive request costs more than a cheap one. When the bucket is
 * empty the work is refused before it starts (GATEWAY_BUSY), whoever asks: floods from many
 * addresses together cannot take more than `msPerSecond` of each second.
 */
export class WorkBudget {
  readonly #rate: number;
  readonly #clock: () => number;
  readonly #measure: () => number;
  #tokens: number;
  #at: number;

  constructor(options: WorkBudgetOptions) {
    if (!(options.msPerSecond > 0)) throw new RangeError('options.msPerSecond must be positive');
    this.#rate = options.msPerSecond;
    this.#clock = options.clock ?? Date.now;
    this.#measure = options.measure ?? threadCpuMs;
    this.#tokens = this.#rate;
    this.#at = this.#clock();
  }

  /** Runs `work` if the budget has anything left, and charges it its measured duration. */
  run<T>(what: string, work: () => T): T {
    const now = this.#clock();
    this.#tokens = Math.min(this.#rate, this.#tokens + ((now - this.#at) * this.#rate) / 1000);
    this.#at = now;
    if (this.#tokens <= 0)
      throw fail('GATEWAY_BUSY', `the gateway's share for unauthenticated work is spent (${what}); retry in a second`);
    const started = this.#measure();
    try {
      return work();
    } finally {
      this.#tokens -= this.#measure() - started;
    }
  }

  /** What is left now, in ms (for tests and metrics). */
  get remaining(): number {
    return Math.min(this.#rate, this.#tokens + ((this.#clock() - this.#at) * this.#rate) / 1000);
  }
}
