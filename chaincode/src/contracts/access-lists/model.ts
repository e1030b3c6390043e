// SPDX-License-Identifier: Apache-2.0
import {
  ACCESS_ENTRY_KINDS,
  APP_ID,
  EXTRACT_MAX_BYTES,
  expectInteger,
  expectObject,
  expectOneOf,
  expectString,
  fail,
  HEX64,
  INDICATOR_MAX_DAYS,
  KEY_IMAGE,
  MSP_ID,
  parseStudyDefinition,
  PSEUDONYM,
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
  // Indicator studies (§21): joins, submissions and leaves by pseudonym, the institution's reads.
  'indicator-join',
  'indicator-submit',
  'indicator-leave',
  'indicator-aggregates',
  'indicator-series',
] as const;
export type StudyAuditAction = (typeof STUDY_AUDIT_ACTIONS)[number];

/** Who a study audit entry names: a key id, a ring's key image, or an indicator participant's pseudonym. */
export type StudyAuditActor =
  { readonly actorKeyId: string } | { readonly actorKeyImage: string } | { readonly pseudonym: string };

/**
 * An entry of a study's audit trail: the institution's publication and reads (by key id), the
 * anonymous contributions (by link tag: the key image, never a member of the ring), an indicator
 * study's participants (by pseudonym: the trail never names a patient's key).
 */
export type StudyAuditState = StudyAuditActor & {
  readonly studyId: string;
  readonly action: StudyAuditAction;
  /** For study-read and indicator-series: how many entries (participants) the page returned. */
  readonly entries?: number;
  /** For indicator-submit: the days submitted. */
  readonly days?: readonly number[];
  readonly at: number;
  readonly txId: string;
  readonly appId: string;
  readonly org: string;
  readonly requestHash: string;
};

function parseStudyAuditActor(o: Record<string, unknown>): StudyAuditActor {
  const named = [o.actorKeyId, o.actorKeyImage, o.pseudonym].filter((v) => v !== undefined).length;
  if (named !== 1)
    throw fail('INVALID_INPUT', 'studyAudit must name exactly one of actorKeyId, actorKeyImage and pseudonym');
  if (o.actorKeyId !== undefined) return { actorKeyId: hex64(o.actorKeyId, 'studyAudit.actorKeyId') };
  if (o.actorKeyImage !== undefined)
    return { actorKeyImage: expectString(o.actorKeyImage, 'studyAudit.actorKeyImage', { pattern: KEY_IMAGE }) };
  return { pseudonym: expectString(o.pseudonym, 'studyAudit.pseudonym', { pattern: PSEUDONYM }) };
}

function parseDays(value: unknown, name: string): number[] {
  if (!Array.isArray(value) || value.length < 1 || value.length > INDICATOR_MAX_DAYS)
    throw fail('INVALID_INPUT', `${name} must be an array of 1…${INDICATOR_MAX_DAYS} days`);
  return value.map((v: unknown, i) => expectInteger(v, `${name}[${i}]`, 0, 100_000_000 - 1));
}

export function parseStudyAudit(value: unknown): StudyAuditState {
  const o = expectObject(value, 'studyAudit', [
    'studyId',
    'action',
    'actorKeyId',
    'actorKeyImage',
    'pseudonym',
    'entries',
    'days',
    'at',
    'txId',
    'appId',
    'org',
    'requestHash',
  ]);
  return {
    studyId: hex64(o.studyId, 'studyAudit.studyId'),
    action: expectOneOf(o.action, 'studyAudit.action', STUDY_AUDIT_ACTIONS),
    ...parseStudyAuditActor(o),
    ...(o.entries === undefined ? {} : { entries: expectInteger(o.entries, 'studyAudit.entries', 0, 100) }),
    ...(o.days === undefined ? {} : { days: parseDays(o.days, 'studyAudit.days') }),
    at: time(o.at, 'studyAudit.at'),
    txId: hex64(o.txId, 'studyAudit.txId'),
    appId: expectString(o.appId, 'studyAudit.appId', { pattern: APP_ID }),
    org: expectString(o.org, 'studyAudit.org', { pattern: MSP_ID }),
    requestHash: hex64(o.requestHash, 'studyAudit.requestHash'),
  };
}
