// SPDX-License-Identifier: Apache-2.0
import type { TransactionStub } from '@medshare/fabric-sim';
import type { Harness } from './harness';

/** The stub methods that cost a round trip to the peer on Fabric (fabric-shim's handler sends a message and waits). */
export const ROUND_TRIPS = [
  'getState',
  'putState',
  'deleteState',
  'getStateByRange',
  'getStateByPartialCompositeKey',
  'getStateByPartialCompositeKeyWithPagination',
] as const;

/** Local stub methods (no message to the peer), counted too: the contract's own bookkeeping. */
export const LOCAL = ['getTxID', 'getTxTimestamp', 'getCreator', 'setEvent', 'createCompositeKey'] as const;

export type ShimMethod = (typeof ROUND_TRIPS)[number] | (typeof LOCAL)[number];

export interface ShimCall {
  readonly method: ShimMethod;
  /** The key (or range start) of a state call, with the composite key's U+0000 separators shown as `|`. */
  readonly key?: string;
}

const COUNTED = new Set<string>([...ROUND_TRIPS, ...LOCAL]);

function shown(key: unknown): string | undefined {
  return typeof key === 'string' ? key.replaceAll('\u0000', '|') : undefined;
}

/** `stub` with every counted call appended to `calls` (the stub itself does the work). */
export function countingStub(stub: TransactionStub, calls: ShimCall[]): TransactionStub {
  return new Proxy(stub, {
    get(target, property, receiver): unknown {
      // The stub's methods use private fields: they run on the stub itself, never on the proxy.
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      const method = value as (...a: unknown[]) => unknown;
      if (typeof property !== 'string' || !COUNTED.has(property)) return method.bind(target);
      return (...args: unknown[]): unknown => {
        const key = property === 'createCompositeKey' ? undefined : shown(args[0]);
        calls.push({ method: property as ShimMethod, ...(key === undefined ? {} : { key }) });
        return method.apply(target, args);
      };
    },
  });
}

/**
 * Calls the envelope's transaction on `h` through a counting stub, submitted or evaluated as the
 * operations table says; resolves with the calls the contract made (and rejects as the call does).
 */
export async function countedCall(
  h: Harness,
  fcn: string,
  envelope: string,
  submit: boolean,
  identity = h.client(),
): Promise<ShimCall[]> {
  const calls: ShimCall[] = [];
  const run = (ctx: { stub: TransactionStub }): Promise<string> => h.chaincode.invoke(countingStub(ctx.stub, calls));
  const invocation = { fcn, args: [envelope] };
  if (submit) await h.ledger.submit(identity, run, invocation);
  else await h.ledger.evaluate(identity, run, invocation);
  return calls;
}

/** How many calls of each method, round trips first. */
export function tally(calls: readonly ShimCall[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const method of [...ROUND_TRIPS, ...LOCAL]) {
    const n = calls.filter((c) => c.method === method).length;
    if (n > 0) counts[method] = n;
  }
  return counts;
}
