// SPDX-License-Identifier: Apache-2.0
import { canonicalize, expectInteger, expectString, HEX64 } from '@medshare/protocol';
import { Info, Returns, Transaction } from 'fabric-contract-api';
import { auditEntries } from '../../audit-log/audit-log';
import { assertOrgAdmin } from '../../identity/org-admin';
import { authenticate } from '../../signature-chain/authenticate';
import { respond } from '../../signature-chain/respond';
import { MedshareBaseContract, type MedshareContractOptions } from '../base-contract';
// A value import: the decorators read the context's class from the parameter types.
import { MedshareContext } from '../context';
import { ownerOnly, requireRecord } from '../records/rules';

@Info({
  title: 'audit',
  description: "medshare audit trails: every access to a record, for its owner and its upload org's admins",
})
export class AuditContract extends MedshareBaseContract {
  constructor(options: MedshareContractOptions = {}) {
    super('audit', options);
  }

  /** The owner reads every access to their record, oldest first. */
  @Transaction(false)
  @Returns('string')
  async Audit(ctx: MedshareContext, envelope: string): Promise<string> {
    const { state } = ctx;
    const auth = await authenticate(ctx, state, envelope, 'audit', { consumeNonce: false });
    const { recordId, pageSize, bookmark } = auth.request.body;
    await ownerOnly(state, auth, recordId);
    return respond(ctx, this.contractKey, auth, await auditEntries.page(state, { recordId }, pageSize, bookmark));
  }

  /** An admin of the organization where a record was uploaded reads its audit trail (no data). */
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
    const record = await requireRecord(ctx.state, recordId);
    assertOrgAdmin(ctx.clientIdentity, record.org);
    return canonicalize(await auditEntries.page(ctx.state, { recordId }, size, bookmark));
  }
}
