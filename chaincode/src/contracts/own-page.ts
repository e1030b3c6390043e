// SPDX-License-Identifier: Apache-2.0
import type { ResultOf } from '@medshare/protocol';
import type { ContractKey } from '../config/contract-key';
import { assertSig1, authenticate } from '../signature-chain/authenticate';
import { respond } from '../signature-chain/respond';
import type { LedgerState } from '../state/state';
import type { MedshareContext } from './context';
import { requireUser } from './registry/tables';

/** The evaluations that page through an index kept under the author's own key. */
export type OwnPageOperation = 'list-records' | 'list-grants' | 'file-list' | 'file-list-shared' | 'patient-records';

/**
 * One page of the author's own index (records owned, grants received, files owned, files shared):
 * sig1 by the registered author, then `page` over the rows under the author's key id.
 */
export async function ownPage<O extends OwnPageOperation>(
  ctx: MedshareContext,
  contractKey: ContractKey | undefined,
  envelope: string,
  op: O,
  page: (state: LedgerState, keyId: string, pageSize: number, bookmark: string) => Promise<ResultOf<O>>,
): Promise<string> {
  const { state } = ctx;
  const auth = await authenticate(ctx, state, envelope, op, { consumeNonce: false });
  const author = await requireUser(state, auth.request.keyId);
  assertSig1(author.publicKey, auth.envelope, 'the author');
  const { pageSize, bookmark } = auth.request.body;
  return respond(ctx, contractKey, auth, await page(state, author.keyId, pageSize, bookmark));
}
