// SPDX-License-Identifier: Apache-2.0
import { openPolicy, parseAppVersionPolicy, type AppVersionPolicy } from '@medshare/protocol';
import { KEY } from '../../state/keys';
import type { LedgerState } from '../../state/state';
import { Table } from '../../state/table';

/** Each org's app-version policy: `medshare.app-policy [mspId]`, written only by that org's admins. */
export const appPolicies = new Table({ type: KEY.appPolicy, key: ['mspId'], parse: parseAppVersionPolicy });

/** The org's policy, or the open one (every version allowed) when its admins never set one. */
export async function appPolicyOf(state: LedgerState, mspId: string): Promise<AppVersionPolicy> {
  return (await appPolicies.get(state, { mspId })) ?? openPolicy(mspId);
}
