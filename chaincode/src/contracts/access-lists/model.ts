// SPDX-License-Identifier: Apache-2.0
import {
  ACCESS_ENTRY_KINDS,
  APP_ID,
  EXTRACT_MAX_BYTES,
  expectInteger,
  expectObject,
  expectOneOf,
  expectString,
  HEX64,
  KEY_IMAGE,
  MSP_ID,
  parseStudyDefinition,
  type AccessEntryKind,
  type StudyDefinition,
} from '@medshare/protocol';

/**
 * The access-lists contract's state (docs/protocol.md §9, §19): studies, the entries of each
 * study's access list (one per warranted record or anonymous contribution, sealed for the
 * study's institution) and the study's audit trail. No value holds plaintext research data.
 */

const hex64 = (v: unknown, n: string): string => expectString(v, n, { pattern: HEX64 });
const time = (v: unknown, n: string): number => expectInteger(v, n);

export type StudyState = {
  readonly studyId: string;
  readonly institutionKeyId: string;
  readonly study: StudyDefinition;
  readonly publishedAt: number;
};

export function parseStudy(value: unknown): StudyState {
  const o = expectObject(value, 'study', ['studyId', 'institutionKeyId', 'study', 'publishedAt']);
  return {
    studyId: hex64(o.studyId, 'study.studyId'),
    institutionKeyId: hex64(o.institutionKeyId, 'study.institutionKeyId'),
    study: parseStudyDefinition(o.study, 'study.study'),
    publishedAt: time(o.publishedAt, 'study.publishedAt'),
  };
}

/**
 * One entry of a study's access list. A warrant's names its record (for the record's audit trail
 * when the institution reads it; never returned to the institution), a contribution's its link tag.
 */
export type AccessEntryState = {
  readonly entryId: string;
  readonly kind: AccessEntryKind;
  readonly extract: string;
  readonly extractKeyWrap: string;
  readonly addedAt: number;
  readonly recordId?: string;
  readonly keyImage?: string;
};

export function parseAccessEntry(value: unknown): AccessEntryState {
  const o = expectObject(value, 'accessEntry', [
    'entryId',
    'kind',
    'extract',
    'extractKeyWrap',
    'addedAt',
    'recordId',
    'keyImage',
  ]);
  const kind = expectOneOf(o.kind, 'accessEntry.kind', ACCESS_ENTRY_KINDS);
  const entry = {
    entryId: hex64(o.entryId, 'accessEntry.entryId'),
    kind,
    extract: expectString(o.extract, 'accessEntry.extract', { maxLength: Math.ceil(EXTRACT_MAX_BYTES / 3) * 4 }),
    extractKeyWrap: expectString(o.extractKeyWrap, 'accessEntry.extractKeyWrap', { pattern: /^04[0-9a-f]{256}$/ }),
    addedAt: time(o.addedAt, 'accessEntry.addedAt'),
  };
  return kind === 'warrant'
    ? { ...entry, recordId: hex64(o.recordId, 'accessEntry.recordId') }
    : { ...entry, keyImage: expectString(o.keyImage, 'accessEntry.keyImage', { pattern: KEY_IMAGE }) };
}

export const STUDY_AUDIT_ACTIONS = [
  'study-publish',
  'study-read',
  'contribute',
  'contribution-withdraw',
  'contribution-replace',
] as const;
export type StudyAuditAction = (typeof STUDY_AUDIT_ACTIONS)[number];

/**
 * An entry of a study's audit trail: the institution's publication and reads (by key id), the
 * anonymous contributions (by link tag: the key image, never a member of the ring).
 */
export type StudyAuditState = {
  readonly studyId: string;
  readonly action: StudyAuditAction;
  readonly actorKeyId?: string;
  readonly actorKeyImage?: string;
  /** For study-read: how many entries the page returned. */
  readonly entries?: number;
  readonly at: number;
  readonly txId: string;
  readonly appId: string;
  readonly org: string;
  readonly requestHash: string;
};

export function parseStudyAudit(value: unknown): StudyAuditState {
  const o = expectObject(value, 'studyAudit', [
    'studyId',
    'action',
    'actorKeyId',
    'actorKeyImage',
    'entries',
    'at',
    'txId',
    'appId',
    'org',
    'requestHash',
  ]);
  return {
    studyId: hex64(o.studyId, 'studyAudit.studyId'),
    action: expectOneOf(o.action, 'studyAudit.action', STUDY_AUDIT_ACTIONS),
    ...(o.actorKeyId === undefined
      ? { actorKeyImage: expectString(o.actorKeyImage, 'studyAudit.actorKeyImage', { pattern: KEY_IMAGE }) }
      : { actorKeyId: hex64(o.actorKeyId, 'studyAudit.actorKeyId') }),
    ...(o.entries === undefined ? {} : { entries: expectInteger(o.entries, 'studyAudit.entries', 0, 100) }),
    at: time(o.at, 'studyAudit.at'),
    txId: hex64(o.txId, 'studyAudit.txId'),
    appId: expectString(o.appId, 'studyAudit.appId', { pattern: APP_ID }),
    org: expectString(o.org, 'studyAudit.org', { pattern: MSP_ID }),
    requestHash: hex64(o.requestHash, 'studyAudit.requestHash'),
  };
}
