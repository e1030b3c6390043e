// SPDX-License-Identifier: Apache-2.0
import { fail } from '@medshare/protocol';
import { KEY } from '../../state/keys';
import { parsePatientRecord, parseProfile, parsePseudonym, parseUser, type UserState } from '../../state/model';
import type { LedgerState } from '../../state/state';
import { index, Table } from '../../state/table';

/** Pseudonyms, one user per role: `medshare.pseudonym [role, pseudonym] → {keyId}`, kept with each user. */
export const pseudonyms = new Table({ type: KEY.pseudonym, key: ['role', 'pseudonym'], parse: parsePseudonym });

/** Users by key id: `medshare.user [keyId]`, indexed by role and pseudonym. */
export const users = new Table({
  type: KEY.user,
  key: ['keyId'],
  parse: parseUser,
  indexes: [
    index(pseudonyms, (key: { keyId: string }, user: UserState) => ({
      key: { role: user.role, pseudonym: user.pseudonym },
      row: { keyId: key.keyId },
    })),
  ],
});

export async function requireUser(state: LedgerState, keyId: string): Promise<UserState> {
  const user = await users.get(state, { keyId });
  if (!user) throw fail('NOT_REGISTERED', `key ${keyId} is not registered`);
  return user;
}

/** A patient's sealed profile: `medshare.profile [patientKeyId]`, written by its owner only. */
export const profiles = new Table({ type: KEY.profile, key: ['keyId'], parse: parseProfile });

/**
 * A patient's append-only list of records: `medshare.patient-record [patientKeyId, uploadedAt (16
 * digits), recordId]`, one row written by each upload in its own transaction; no transaction
 * rewrites or deletes a row. Keyed by time, not by a per-patient counter, so one patient's
 * concurrent uploads touch disjoint keys.
 */
export const patientRecords = new Table({
  type: KEY.patientRecord,
  key: ['patientKeyId', 'uploadedAt', 'recordId'],
  parse: parsePatientRecord,
});
