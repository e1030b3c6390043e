// SPDX-License-Identifier: Apache-2.0
import {
  canonicalize,
  fail,
  PROTOCOL_VERSION,
  signDeterministicFor,
  type ContractResponse,
  type Operation,
  type ResultOf,
} from '@medshare/protocol';
import type { Context } from 'fabric-contract-api';
import type { ContractKey } from '../config/contract-key';
import { txTimeMs, type Authenticated } from './authenticate';

/**
 * sig4: the deterministic K4 signature over the canonical response (RFC 6979 with HMAC-SM3).
 * The result has the type the operations table gives the operation (protocol operations.ts).
 */
export function respond<O extends Operation>(
  ctx: Context,
  k4: ContractKey | undefined,
  auth: Authenticated<O>,
  result: ResultOf<O>,
): string {
  if (!k4) throw fail('INTERNAL', 'the contract key K4 is not configured (MEDSHARE_K4_KEY_FILE)');
  const response: ContractResponse = {
    v: PROTOCOL_VERSION,
    op: auth.request.op,
    requestHash: auth.requestHash,
    txId: ctx.stub.getTxID(),
    at: txTimeMs(ctx),
    k4Id: k4.keyId,
    result,
  };
  return canonicalize({ response, sig4: signDeterministicFor('sig4', k4, response) });
}
