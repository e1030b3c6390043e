// SPDX-License-Identifier: Apache-2.0
import { canonicalize, expectString, MSP_ID, policyFromArguments } from '@medshare/protocol';
import { Info, Returns, Transaction } from 'fabric-contract-api';
import { assertOrgAdmin } from '../../identity/org-admin';
import { txTimeMs } from '../../signature-chain/authenticate';
import { MedshareBaseContract, type MedshareContractOptions } from '../base-contract';
import { changeEvent } from '../change-event';
// A value import: the decorators read the context's class from the parameter types.
import { MedshareContext } from '../context';
import { appPolicies, appPolicyOf } from './tables';

@Info({
  title: 'app-policy',
  description: "medshare app-version policies: each org's minimum and denied versions of its apps, set by its admins",
})
export class AppPolicyContract extends MedshareBaseContract {
  constructor(options: MedshareContractOptions = {}) {
    super('app-policy', options);
  }

  /**
   * An org admin sets the policy of their org's apps (docs/protocol.md §7.6): `minVersion` a
   * SemVer version or `""` for none, `denied` versions separated by commas or `""` for none. The
   * whole policy is replaced; setting both empty opens it again. Shares and downloads through the
   * org's access layers are checked against it from the next transaction on.
   */
  @Transaction()
  @Returns('string')
  async SetAppPolicy(ctx: MedshareContext, minVersion: string, denied: string): Promise<string> {
    const org = assertOrgAdmin(ctx.clientIdentity);
    const policy = policyFromArguments(org, minVersion, denied, txTimeMs(ctx));
    await appPolicies.put(ctx.state, { mspId: org }, policy);
    changeEvent(ctx, 'AppPolicySet', { org });
    return canonicalize(policy);
  }

  /** An org's policy, for any client (its gateway checks requests against it before the ledger does). */
  @Transaction(false)
  @Returns('string')
  async GetAppPolicy(ctx: MedshareContext, mspId: string): Promise<string> {
    expectString(mspId, 'mspId', { pattern: MSP_ID });
    return canonicalize(await appPolicyOf(ctx.state, mspId));
  }
}
