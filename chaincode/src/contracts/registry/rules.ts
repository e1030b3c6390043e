// SPDX-License-Identifier: Apache-2.0
import { fail, type KeyOperation } from '@medshare/protocol';
import { assertSig1, type Authenticated } from '../../signature-chain/authenticate';
import type { UserState } from '../../state/model';
import type { LedgerState } from '../../state/state';
import { requireUser } from './tables';

/** The author of a request any active registered user may make: registered, active, and its sig1. */
export async function activeAuthor(state: LedgerState, auth: Authenticated<KeyOperation>): Promise<UserState> {
  const user = await requireUser(state, auth.request.keyId);
  if (user.status !== 'active') throw fail('NOT_APPROVED', `the author ${user.keyId} is not approved`);
  assertSig1(user.publicKey, auth.envelope, 'the author');
  return user;
}

/** The author of a patient's own request (profile, record list): a registered patient, and its sig1. */
export async function patientAuthor(state: LedgerState, auth: Authenticated<KeyOperation>): Promise<UserState> {
  const user = await requireUser(state, auth.request.keyId);
  if (user.role !== 'patient') throw fail('NOT_REGISTERED_PATIENT', 'the author must be a registered patient');
  if (user.status !== 'active') throw fail('NOT_APPROVED', `the patient ${user.keyId} is not active`);
  assertSig1(user.publicKey, auth.envelope, 'the patient');
  return user;
}

/** An approved institution: registered (NOT_REGISTERED), an institution (NOT_INSTITUTION), active (NOT_APPROVED). */
export async function requireInstitution(state: LedgerState, keyId: string, name: string): Promise<UserState> {
  const user = await requireUser(state, keyId).catch(() => {
    throw fail('NOT_REGISTERED', `${name} ${keyId} is not registered`);
  });
  if (user.role !== 'institution') throw fail('NOT_INSTITUTION', `${name} ${keyId} is not an institution`);
  if (user.status !== 'active') throw fail('NOT_APPROVED', `${name} ${keyId} is not approved by its org admin`);
  return user;
}
