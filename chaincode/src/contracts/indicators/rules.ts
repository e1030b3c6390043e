// SPDX-License-Identifier: Apache-2.0
import { dayOf, fail, lastDay, type ErrorCode, type KeyOperation } from '@medshare/protocol';
import { assertSig1, type Authenticated } from '../../signature-chain/authenticate';
import type { UserState } from '../../state/model';
import type { LedgerState } from '../../state/state';
import { requireUser, users } from '../registry/tables';
import type { IndicatorCountState, IndicatorParticipantState, IndicatorStudyState, IndicatorTotalState } from './model';
import { indicatorStudies, participantCounts, participants, runningTotals } from './tables';

export async function requireIndicatorStudy(state: LedgerState, studyId: string): Promise<IndicatorStudyState> {
  const study = await indicatorStudies.get(state, { studyId });
  if (!study) throw fail('STUDY_NOT_FOUND', `no indicator study ${studyId}`);
  return study;
}

/** Open while dayOf(now) ≤ lastDay + 1: the day after the window lets its last day's readings in (§21.1). */
export function indicatorStudyIsOpen(study: IndicatorStudyState, now: number): boolean {
  return dayOf(now) <= lastDay(study.study.window) + 1;
}

export function assertIndicatorStudyOpen(study: IndicatorStudyState, now: number): void {
  if (!indicatorStudyIsOpen(study, now))
    throw fail('STUDY_CLOSED', `the study's window ended on day ${lastDay(study.study.window)}`);
}

export async function participantCount(state: LedgerState, studyId: string): Promise<IndicatorCountState> {
  return (await participantCounts.get(state, { studyId })) ?? { participants: 0, reporting: 0 };
}

/** The study's institution still registered, an institution and active (NOT_APPROVED): data goes to it. */
export async function assertInstitutionActive(state: LedgerState, study: IndicatorStudyState): Promise<void> {
  const institution = await users.get(state, { keyId: study.institutionKeyId });
  if (!institution || institution.role !== 'institution' || institution.status !== 'active')
    throw fail('NOT_APPROVED', `the study's institution ${study.institutionKeyId} is not an active institution`);
}

/** A key author's sig1 (SIG1_INVALID), then its registry entry active (NOT_APPROVED): §21's order. */
export async function signedActiveAuthor(
  state: LedgerState,
  auth: Authenticated<KeyOperation>,
  keyId: string,
): Promise<UserState> {
  const user = await requireUser(state, keyId);
  assertSig1(user.publicKey, auth.envelope, 'the author');
  if (user.status !== 'active') throw fail('NOT_APPROVED', `the author ${keyId} is not active`);
  return user;
}

/** The author's participation in the study, current (NOT_PARTICIPANT otherwise). */
export async function currentParticipant(
  state: LedgerState,
  studyId: string,
  keyId: string,
): Promise<IndicatorParticipantState> {
  const participant = await participants.get(state, { studyId, keyId });
  if (!participant || participant.leftAt !== undefined)
    throw fail('NOT_PARTICIPANT', 'request.keyId is not a current participant of the study');
  return participant;
}

/** Every current participant's running total, in pseudonym order, page by page (a submitted transaction may). */
export async function allTotals(state: LedgerState, studyId: string): Promise<IndicatorTotalState[]> {
  const totals: IndicatorTotalState[] = [];
  let bookmark = '';
  do {
    const page = await runningTotals.scanPage(state, { studyId }, 500, bookmark);
    totals.push(...page.items);
    bookmark = page.bookmark;
  } while (bookmark !== '');
  return totals;
}

/** A decoder over request bytes: its RangeError or TypeError (a point off the curve, the identity, a scalar ≥ n, a wrong length) is INVALID_INPUT naming `name`. */
export function zkDecode<T>(name: string, decode: () => T): T {
  try {
    return decode();
  } catch (cause) {
    if (!(cause instanceof RangeError || cause instanceof TypeError)) throw cause;
    throw fail('INVALID_INPUT', `${name} does not decode: ${cause.message}`, cause);
  }
}

/** A zero-knowledge verification over request bytes: malformed bytes are INVALID_INPUT (zkDecode), a false result `refusal`. */
export function zkCheck(name: string, refusal: ErrorCode, message: string, verify: () => boolean): void {
  if (!zkDecode(name, verify)) throw fail(refusal, message);
}
