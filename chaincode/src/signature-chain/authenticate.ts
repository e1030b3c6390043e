// SPDX-License-Identifier: Apache-2.0
import {
  actorKey,
  assertFresh,
  chainPayload,
  claimedActor,
  environmentError,
  fail,
  parseContractEnvelope,
  requestHash,
  verifyFor,
  type Actor,
  type AnyRequest,
  type ContractEnvelope,
  type Operation,
  type Request,
} from '@medshare/protocol';
import type { Context } from 'fabric-contract-api';
import { accessKeys } from '../contracts/layer-keys/tables';
import type { LedgerState } from '../state/state';
import { nonces } from './nonces';
import { assertRingSig1 } from './ring-sig1';

export interface Authenticated<O extends Operation> {
  readonly envelope: ContractEnvelope & { readonly request: Request<O> };
  readonly request: Request<O>;
  /**
   * Who signed sig1. A key actor is the key the request names, checked by each transaction's own
   * sig1 check (assertSig1); a ring actor (the ring operations) is already verified here: every
   * member an active patient and the ring signature valid in the study's scope (ring-sig1.ts).
   */
  readonly actor: Actor;
  /** The transaction timestamp in Unix ms: the contract's only clock. */
  readonly now: number;
  /** MSP of the submitting client, i.e. of the access layer that made sig3. */
  readonly org: string;
  /** SM3 of the canonical request, computed once: audit entries and the response carry it. */
  readonly requestHash: string;
  /**
   * Writes the nonce key when authentication was asked to defer it (`writeNonceLater`); a
   * no-op otherwise. An upload that replays an earlier one writes nothing, not even its nonce.
   */
  readonly writeNonce: () => Promise<void>;
}

export function txTimeMs(ctx: Context): number {
  const ts = ctx.stub.getTxTimestamp();
  return Number(String(ts.seconds)) * 1000 + Math.floor(ts.nanos / 1_000_000);
}

/**
 * The contract's checks of docs/protocol.md §7.5, before any operation-specific check:
 * parse (size, shape, unknown fields, a ring's structure), match the transaction's operation,
 * verify sig3 against a K3 registered for the submitting client's org and valid now, check expiry
 * against the transaction timestamp, (for submitted operations) consume the nonce of the author
 * (a key, or a ring's link tag in the study's scope), and for a ring request verify sig1.
 */
export async function authenticate<O extends Operation>(
  ctx: Context,
  state: LedgerState,
  envelopeText: unknown,
  op: O,
  options: { consumeNonce: boolean; writeNonceLater?: boolean },
): Promise<Authenticated<O>> {
  const envelope = parseContractEnvelope(envelopeText);
  const request: AnyRequest = envelope.request;
  if (request.op !== op) throw fail('INVALID_INPUT', `request.op is ${request.op} but this transaction is ${op}`);
  const org = ctx.clientIdentity.getMSPID();
  const now = txTimeMs(ctx);

  // The keys-valid check of docs/protocol.md §7.6, for the K3 that made sig3.
  const k3 = await accessKeys.get(state, { mspId: org, keyId: envelope.k3Id });
  if (!k3)
    throw environmentError('keys-valid', 'UNKNOWN_ACCESS_KEY', `no K3 ${envelope.k3Id} is registered for ${org}`);
  if (k3.retiredAt !== undefined && k3.retiredAt <= now)
    throw environmentError('keys-valid', 'ACCESS_KEY_NOT_VALID', `K3 ${envelope.k3Id} was retired at ${k3.retiredAt}`);
  if (now < k3.notBefore || now > k3.notAfter)
    throw environmentError(
      'keys-valid',
      'ACCESS_KEY_NOT_VALID',
      `K3 ${envelope.k3Id} is valid only in [${k3.notBefore}, ${k3.notAfter}]`,
    );
  if (!verifyFor('sig3', k3.publicKey, chainPayload(request, envelope.sig1), envelope.sig3)) {
    throw fail('SIG3_INVALID', `sig3 does not verify against K3 ${envelope.k3Id} of ${org}`);
  }

  // The clock-skew check (ahead of the transaction timestamp), then the expiry.
  assertFresh(request, now);

  const actor = claimedActor(request);
  let writeNonce = (): Promise<void> => Promise.resolve();
  if (options.consumeNonce) {
    const key = { actor: actorKey(actor), nonce: request.nonce };
    const used = await nonces.get(state, key);
    if (used) throw fail('NONCE_REPLAYED', `nonce ${request.nonce} was already used in transaction ${used.txId}`);
    const write = (): Promise<void> =>
      nonces.put(state, key, { txId: ctx.stub.getTxID(), expiresAt: request.expiresAt });
    if (options.writeNonceLater) writeNonce = write;
    else await write();
  }
  if ('ring' in request) await assertRingSig1(state, request, envelope.sig1);
  return {
    envelope: envelope as Authenticated<O>['envelope'],
    request: request as Request<O>,
    actor,
    now,
    org,
    requestHash: requestHash(request),
    writeNonce,
  };
}

/** sig1: the author's signature over the request, checked against the key the operation names. */
export function assertSig1(publicKey: string, envelope: ContractEnvelope, who: string): void {
  if (!verifyFor('sig1', publicKey, envelope.request, envelope.sig1))
    throw fail('SIG1_INVALID', `sig1 does not verify against ${who}`);
}
