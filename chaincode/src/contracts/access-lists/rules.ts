// SPDX-License-Identifier: Apache-2.0
import { fail } from '@medshare/protocol';
import type { LedgerState } from '../../state/state';
import type { StudyState } from './model';
import { studies } from './tables';

export async function requireStudy(state: LedgerState, studyId: string): Promise<StudyState> {
  const study = await studies.get(state, { studyId });
  if (!study) throw fail('STUDY_NOT_FOUND', `no study ${studyId}`);
  return study;
}

/** A study takes warrants and contributions until its `closesAt` (inclusive); without one, always. */
export function studyIsOpen(study: StudyState, now: number): boolean {
  return study.study.closesAt === undefined || now <= study.study.closesAt;
}

/** A new warrant, contribution or replacement needs the study open at `now` (STUDY_CLOSED). */
export function assertStudyOpen(study: StudyState, now: number): void {
  if (!studyIsOpen(study, now)) throw fail('STUDY_CLOSED', `the study closed at ${String(study.study.closesAt)}`);
}
