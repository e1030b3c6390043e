// SPDX-License-Identifier: Apache-2.0
import { actorKey, canonicalize, expectInteger, expectString, fail, HEX64, type Operation } from '@medshare/protocol';
import type { Context } from 'fabric-contract-api';
import type { MedshareContext } from '../contracts/context';
import { requireUser } from '../contracts/registry/tables';
import { assertOrgAdmin } from '../identity/org-admin';
import {
  parseStudyAudit,
  type StudyAuditAction,
  type StudyAuditActor,
  type StudyAuditState,
} from '../contracts/access-lists/model';
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
  access: {
    readonly studyId: string;
    readonly action: StudyAuditAction;
    readonly entries?: number;
    /** An indicator participant's act: named by its pseudonym in the study, never by its key. */
    readonly pseudonym?: string;
    readonly days?: readonly number[];
  },
): Promise<StudyAuditState> {
  const { actor } = auth;
  if (actor.kind === 'ring' && actor.scope !== access.studyId)
    throw fail('INTERNAL', `ring actor ${actorKey(actor)} audited in another study`);
  const txId = ctx.stub.getTxID();
  const named: StudyAuditActor =
    access.pseudonym !== undefined
      ? { pseudonym: access.pseudonym }
      : actor.kind === 'key'
        ? { actorKeyId: actor.keyId }
        : { actorKeyImage: actor.keyImage };
  const entry: StudyAuditState = {
    ...named,
    studyId: access.studyId,
    action: access.action,
    ...(access.entries === undefined ? {} : { entries: access.entries }),
    ...(access.days === undefined ? {} : { days: access.days }),
    at: auth.now,
    txId,
    appId: auth.request.appId,
    org: auth.org,
    requestHash: auth.requestHash,
  };
  await studyAudit.put(state, { studyId: access.studyId, at: sortableTime(auth.now), txId }, entry);
  return entry;
}

/**
 * AdminStudyTrail of the study contracts (outside the signature chain, evaluated): an org admin of
 * the study's institution's organization (NOT_ORG_ADMIN) reads one page of the study's trail.
 * `institutionOf` finds the study (STUDY_NOT_FOUND) in its contract's table.
 */
export async function adminStudyTrailPage(
  ctx: MedshareContext,
  args: { readonly studyId: string; readonly pageSize: string; readonly bookmark: string },
  institutionOf: (state: LedgerState, studyId: string) => Promise<string>,
): Promise<string> {
  const studyId = expectString(args.studyId, 'studyId', { pattern: HEX64 });
  const size = expectInteger(
    Number(expectString(args.pageSize, 'pageSize', { pattern: /^[0-9]{1,3}$/ })),
    'pageSize',
    1,
    100,
  );
  const institution = await requireUser(ctx.state, await institutionOf(ctx.state, studyId));
  assertOrgAdmin(ctx.clientIdentity, institution.org);
  return canonicalize(await studyAudit.page(ctx.state, { studyId }, size, args.bookmark));
}
