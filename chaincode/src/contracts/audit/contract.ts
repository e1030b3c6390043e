// SPDX-License-Identifier: Apache-2.0
import { canonicalize, expectInteger, expectString, fail, HEX64 } from '@medshare/protocol';
import { Info, Returns, Transaction } from 'fabric-contract-api';
import { auditEntries } from '../../audit-log/audit-log';
import { assertOrgAdmin } from '../../identity/org-admin';
import { assertSig1, authenticate } from '../../signature-chain/authenticate';
import type { LedgerState } from '../../state/state';
import { respond } from '../../signature-chain/respond';
import { MedshareBaseContract, type MedshareContractOptions } from '../base-contract';
// A value import: the decorators read the context's class from the parameter types.
import { MedshareContext } from '../context';
import { files } from '../files/tables';
import { records } from '../records/tables';
import { requireUser } from '../registry/tables';

/**
 * What an audit trail is kept for: a record or a large file (their ids never collide: each is
 * SM3 of its own label and a transaction id). Both have an owner and an upload org.
 */
async function audited(state: LedgerState, id: string): Promise<{ owner: string; org: string; kind: string }> {
  const record = await records.get(state, { recordId: id });
  if (record) return { owner: record.owner, org: record.org, kind: 'record' };
  const file = await files.get(state, { fileId: id });
  if (file) return { owner: file.owner, org: file.org, kind: 'file' };
  throw fail('RECORD_NOT_FOUND', `no record or file ${id}`);
}

@Info({
  title: 'audit',
  description: "medshare audit trails: every access to a record or a file, for its owner and its upload org's admins",
})
export class AuditContract extends MedshareBaseContract {
  constructor(options: MedshareContractOptions = {}) {
    super('audit', options);
  }

  /** The owner reads every access to their record or file, oldest first. */
  @Transaction(false)
  @Returns('string')
  async Audit(ctx: MedshareContext, envelope: string): Promise<string> {
    const { state } = ctx;
    const auth = await authenticate(ctx, state, envelope, 'audit', { consumeNonce: false });
    const { recordId, pageSize, bookmark } = auth.request.body;
    const item = await audited(state, recordId);
    if (auth.request.keyId !== item.owner)
      throw fail('NOT_OWNER', `request.keyId is not the owner of the ${item.kind}`);
    assertSig1((await requireUser(state, item.owner)).publicKey, auth.envelope, `the ${item.kind} owner`);
    return respond(ctx, this.contractKey, auth, await auditEntries.page(state, { recordId }, pageSize, bookmark));
  }

  /** An admin of the organization where a record or file was uploaded reads its audit trail (no data). */
  @Transaction(false)
  @Returns('string')
  async AdminAuditTrail(ctx: MedshareContext, recordId: string, pageSize: string, bookmark: string): Promise<string> {
    expectString(recordId, 'recordId', { pattern: HEX64 });
    const size = expectInteger(
      Number(expectString(pageSize, 'pageSize', { pattern: /^[0-9]{1,3}$/ })),
      'pageSize',
      1,
      100,
    );
    assertOrgAdmin(ctx.clientIdentity, (await audited(ctx.state, recordId)).org);
    return canonicalize(await auditEntries.page(ctx.state, { recordId }, size, bookmark));
  }
}
