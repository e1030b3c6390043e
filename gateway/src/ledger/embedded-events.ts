// SPDX-License-Identifier: Apache-2.0
import type { MemoryLedger } from '@medshare/fabric-sim';
import { fail } from '@medshare/protocol';
import type { EventStream, EventStreamOptions, LedgerEvent } from './backend';

/** The index of the first committed event at or after the checkpoint (fabric-gateway's seek rules). */
function startIndex(ledger: MemoryLedger, options: EventStreamOptions): number {
  const events = ledger.committedEvents;
  const block = options.checkpoint.getBlockNumber() ?? options.startBlock;
  const afterTx = options.checkpoint.getBlockNumber() === undefined ? undefined : options.checkpoint.getTransactionId();
  let lo = 0;
  let hi = events.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (BigInt((events[mid] as { blockNumber: number }).blockNumber) < block) lo = mid + 1;
    else hi = mid;
  }
  if (afterTx === undefined) return lo;
  // Within the checkpoint's block, skip events up to and including the checkpointed transaction.
  for (let i = lo; i < events.length && BigInt((events[i] as { blockNumber: number }).blockNumber) === block; i++) {
    if (events[i]?.txId === afterTx) return i + 1;
  }
  return lo;
}

/**
 * The embedded ledger's committed events as an event stream: the ones already committed from the
 * checkpoint on, then each new one as it commits. The ledger keeps every committed event in
 * order, so a cursor over that list cannot miss or repeat one, whatever is committed meanwhile.
 */
export function memoryLedgerEvents(ledger: MemoryLedger, options: EventStreamOptions): EventStream {
  const checkpointed = options.checkpoint.getBlockNumber();
  const newest = ledger.committedEvents.at(-1)?.blockNumber ?? 0;
  if (checkpointed !== undefined && checkpointed > BigInt(newest)) {
    // Only a replaced or truncated ledger is behind its followers: refuse rather than drop its new events as repeats.
    throw fail(
      'INTERNAL',
      `the event checkpoint (block ${checkpointed}) is ahead of the ledger (block ${newest}); was the ledger replaced?`,
    );
  }
  let cursor = startIndex(ledger, options);
  let closed = false;
  let wake: (() => void) | undefined;
  const unsubscribe = ledger.onEvent(() => wake?.());
  const close = (): void => {
    closed = true;
    unsubscribe();
    wake?.();
  };
  async function* iterate(): AsyncGenerator<LedgerEvent> {
    try {
      while (!closed) {
        const next = ledger.committedEvents[cursor];
        if (next) {
          cursor += 1;
          yield {
            blockNumber: BigInt(next.blockNumber),
            transactionId: next.txId,
            eventName: next.eventName,
            payload: next.payload,
          };
          continue;
        }
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = undefined;
      }
    } finally {
      close();
    }
  }
  return { [Symbol.asyncIterator]: iterate, close };
}
