// SPDX-License-Identifier: Apache-2.0
import { actorKey, fail, type Operation } from '@medshare/protocol';
import type { Context } from 'fabric-contract-api';
import { parseStudyAudit, type StudyAuditAction, type StudyAuditState } from '../contracts/access-lists/model';
import type { Authenticated } from '../signature-chain/authenticate';
import { KEY, sortableTime } from '../state/keys';
import type { LedgerState } from '../state/state';
import { Table } from '../state/table';

/** A study's audit trail, oldest first: `medshare.study-audit [studyId, at (16 digits), txId]`. */
export const studyAudit = new Table({ type: KEY.studyAudit, key: ['studyId', 'at', 'txId'], parse: parseStudyAudit });

/**
 * Writes an entry of a study's trail: its publication and every read of its access list by the
 * institution (the reads cover the anonymous contributions, which have no record and so no record
 * trail), and each contribution, withdrawal and replacement by its link tag. A ring actor is named
 * by its key image alone: the trail cannot say which member signed.
 */
export async function studyAccess(
  ctx: Context,
  state: LedgerState,
  auth: Authenticated<Operation>,
  access: { readonly studyId: string; readonly action: StudyAuditAction; readonly entries?: number },
): Promise<StudyAuditState> {
  const { actor } = auth;
  if (actor.kind === 'ring' && actor.scope !== access.studyId)
    throw fail('INTERNAL', `ring actor ${actorKey(actor)} audited in another study`);
  const txId = ctx.stub.getTxID();
  const entry: StudyAuditState = {
    studyId: access.studyId,
    action: access.action,
    ...(actor.kind === 'key' ? { actorKeyId: actor.keyId } : { actorKeyImage: actor.keyImage }),
    ...(access.entries === undefined ? {} : { entries: access.entries }),
    at: auth.now,
    txId,
    appId: auth.request.appId,
    org: auth.org,
    requestHash: auth.requestHash,
  };
  await studyAudit.put(state, { studyId: access.studyId, at: sortableTime(auth.now), txId }, entry);
  return entry;
}
