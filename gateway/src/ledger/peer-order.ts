// SPDX-License-Identifier: Apache-2.0
/** What the peer order reports when the peer in use changes (the gateway logs it). */
export interface PeerChangeLog {
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
}

/**
 * Which of the org's peers (index 0 = the preferred one, the config's first) a call tries first,
 * and in which order after that. The peer in use is the last one that answered; a peer proved
 * unreachable hands over to the next. While off the preferred peer, one call per
 * `preferredRetryMs` tries the preferred peer first again, so the gateway returns to it once it is
 * back (bounded: one probe per interval, and a probe that fails costs that call only a refused
 * connection before it moves on). Shared by concurrent calls; each update is idempotent.
 */
export class PeerOrder {
  #current = 0;
  /** When the preferred peer was last left or probed (clock ms). */
  #offPreferredSince = 0;

  constructor(
    private readonly names: readonly string[],
    private readonly preferredRetryMs: number,
    private readonly clock: () => number,
    private readonly log?: PeerChangeLog,
  ) {
    if (names.length === 0) throw new RangeError('names must list at least one peer');
  }

  get size(): number {
    return this.names.length;
  }

  /** The peer in use (index). */
  get current(): number {
    return this.#current;
  }

  /** Every peer once, the one to try first at the head. */
  forCall(): number[] {
    let first = this.#current;
    if (first !== 0 && this.clock() - this.#offPreferredSince >= this.preferredRetryMs) {
      this.#offPreferredSince = this.clock();
      first = 0;
    }
    return Array.from({ length: this.names.length }, (_, k) => (first + k) % this.names.length);
  }

  /** Peer `i` answered (a result or a refusal): it is reachable. A more preferred peer wins. */
  answered(i: number): void {
    if (i >= this.#current) return;
    const from = this.#current;
    this.#current = i;
    this.log?.info(
      { peer: this.names[i], previous: this.names[from] },
      'ledger: using a more preferred peer of the org again',
    );
  }

  /** Peer `i` is unreachable: if it is the one in use, the next one takes over. */
  unreachable(i: number): void {
    if (i !== this.#current || this.names.length === 1) return;
    this.#current = (i + 1) % this.names.length;
    if (i === 0) this.#offPreferredSince = this.clock();
    this.log?.warn(
      { unreachable: this.names[i], peer: this.names[this.#current] },
      'ledger: peer unreachable; moving to the next peer of the org',
    );
  }
}
