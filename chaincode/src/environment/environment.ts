// SPDX-License-Identifier: Apache-2.0
/**
 * The contract's side of the sharing-environment check (docs/protocol.md §7.6). The first checks
 * of the list happen in `authenticate` for every envelope (keys-valid: the K3 of sig3;
 * clock-skew: the transaction timestamp); a share or download then calls
 * {@link assertEnvironment} once its author's sig1 verified and before it writes or verifies
 * anything costly, naming the holder and the receiver. The checks themselves are protocol's
 * (`checkEnvironment`), the same the access layer runs. Any transaction that shares or hands out
 * data (study joins, later) calls this with its own parties.
 */
import { checkEnvironment, type Operation, type PartyFact } from '@medshare/protocol';
import { appPolicyOf } from '../contracts/app-policy/tables';
import { users } from '../contracts/registry/tables';
import type { Authenticated } from '../signature-chain/authenticate';
import type { UserState } from '../state/model';
import type { LedgerState } from '../state/state';

export interface Parties {
  /** The key id of the owner of the record or file. */
  readonly holder: string;
  /** The receiver: a share's grantee or receiver, a download's author when not the owner; none for the owner's own download. */
  readonly receiver?: string;
}

async function party(state: LedgerState, keyId: string): Promise<PartyFact & { user: UserState | undefined }> {
  const user = await users.get(state, { keyId });
  return { keyId, entry: user, user };
}

/**
 * app-version (the request's `appVersion` against the policy of the submitting org, i.e. of the
 * access layer and its apps), holder, receiver, in that order; throws the first refusal.
 * Resolves with the receiver's registry entry (a share needs its public key).
 */
export async function assertEnvironment(
  state: LedgerState,
  auth: Authenticated<Operation>,
  parties: Parties,
): Promise<{ receiver: UserState | undefined }> {
  const policy = await appPolicyOf(state, auth.org);
  const holder = await party(state, parties.holder);
  const receiver = parties.receiver === undefined ? undefined : await party(state, parties.receiver);
  checkEnvironment({
    appVersion: auth.request.appVersion,
    policy,
    holder,
    ...(receiver ? { receiver } : {}),
  });
  return { receiver: receiver?.user };
}
