// SPDX-License-Identifier: Apache-2.0
import { AUDIT_EVENT_NAME, fail, PROTOCOL_VERSION, type AuditEvent, type Operation } from '@medshare/protocol';
import type { Context } from 'fabric-contract-api';
import type { Authenticated } from '../signature-chain/authenticate';
import { marshal } from '../state/codec';
import { KEY, sortableTime } from '../state/keys';
import { parseAudit, type AuditAction, type AuditState } from '../state/model';
import type { LedgerState } from '../state/state';
import { Table } from '../state/table';

/** A record's audit trail, oldest first: `medshare.audit [recordId, at (16 digits), txId]`. */
export const auditEntries = new Table({ type: KEY.audit, key: ['recordId', 'at', 'txId'], parse: parseAudit });

/**
 * Writes the audit entry of an audited transaction (upload, grant, revoke, view, warrant, …) and sets the
 * transaction's one chaincode event, the access notification for the record's owner: the
 * entry's ids, action, org and time. No data, no appId or request hash: nothing the owner's
 * audit trail does not already show.
 */
export async function recordAccess(
  ctx: Context,
  state: LedgerState,
  auth: Authenticated<Operation>,
  access: {
    readonly recordId: string;
    readonly owner: string;
    readonly action: AuditAction;
    readonly subjectKeyId?: string;
    /** warrant, unwarrant, extract-read: the study. */
    readonly studyId?: string;
  },
  options: { readonly event?: boolean } = {},
): Promise<AuditState> {
  // Audit entries name their actor by key id (actorKeyId); anonymous actors need their own field.
  if (auth.actor.kind !== 'key') throw fail('INTERNAL', 'audit entries of ring actors are not defined yet');
  const txId = ctx.stub.getTxID();
  const entry: AuditState = {
    recordId: access.recordId,
    action: access.action,
    actorKeyId: auth.actor.keyId,
    ...(access.subjectKeyId === undefined ? {} : { subjectKeyId: access.subjectKeyId }),
    ...(access.studyId === undefined ? {} : { studyId: access.studyId }),
    at: auth.now,
    txId,
    appId: auth.request.appId,
    org: auth.org,
    requestHash: auth.requestHash,
  };
  await auditEntries.put(state, { recordId: access.recordId, at: sortableTime(auth.now), txId }, entry);
  // Fabric keeps one event per transaction: one that audits several records (an access-list
  // read) writes their entries without notifications.
  if (options.event === false) return entry;
  const event: AuditEvent = {
    v: PROTOCOL_VERSION,
    action: entry.action,
    recordId: entry.recordId,
    owner: access.owner,
    actorKeyId: entry.actorKeyId,
    ...(entry.subjectKeyId === undefined ? {} : { subjectKeyId: entry.subjectKeyId }),
    ...(entry.studyId === undefined ? {} : { studyId: entry.studyId }),
    org: entry.org,
    txId: entry.txId,
    at: entry.at,
  };
  ctx.stub.setEvent(AUDIT_EVENT_NAME, Buffer.from(marshal(event)));
  return entry;
}
