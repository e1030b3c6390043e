// SPDX-License-Identifier: Apache-2.0
import { fail } from '@medshare/protocol';
import { KEY } from '../../state/keys';
import { parsePseudonym, parseUser, type UserState } from '../../state/model';
import type { LedgerState } from '../../state/state';
import { Table } from '../../state/table';

/** Users by key id: `medshare.user [keyId]`. */
export const users = new Table({ type: KEY.user, key: ['keyId'], parse: parseUser });

/** Pseudonyms, one user per role: `medshare.pseudonym [role, pseudonym] → {keyId}`. */
export const pseudonyms = new Table({ type: KEY.pseudonym, key: ['role', 'pseudonym'], parse: parsePseudonym });

export async function requireUser(state: LedgerState, keyId: string): Promise<UserState> {
  const user = await users.get(state, { keyId });
  if (!user) throw fail('NOT_REGISTERED', `key ${keyId} is not registered`);
  return user;
}
