// SPDX-License-Identifier: Apache-2.0
/**
 * What each signature-chain transaction returns in `ContractResponse.result` (docs/protocol.md
 * §7.3), one strict parser each: unknown members are refused, as in requests. The contracts
 * build these types (signature-chain/respond.ts); the gateway and the SDK check them before use.
 * Type aliases, not interfaces, so that they are assignable to JsonValue.
 */
import { expectInteger, expectObject, expectOneOf, expectString, APP_ID, HEX64, MSP_ID } from '../validation/assert';
import { fail } from '../errors/medshare-error';
import {
  BASE64_TEXT,
  bookmark,
  hex64,
  KEY_WRAP,
  KIND,
  MAX_PAGE_SIZE,
  MAX_RECORD_BASE64,
  ROLES,
  type RecordMetadata,
  type Role,
} from './bodies';

/** What an audit entry (and its access notification) records. */
export const AUDIT_ACTIONS = [
  'upload',
  'grant',
  'revoke',
  'view',
  'file-upload',
  'file-share',
  'file-revoke',
  'file-view',
  // Research (§19): a warrant of the record to an institution's study, its removal, and the
  // institution's read of the record's extract (access-list-read).
  'warrant',
  'unwarrant',
  'extract-read',
  // Daily indicators (§21): the record joined an indicator study (its attested keyword matched), and left it.
  'indicator-join',
  'indicator-leave',
] as const;
export type AuditEventAction = (typeof AUDIT_ACTIONS)[number];

/** The actions about a study: their audit entries and events carry `studyId`. */
export const STUDY_ACTIONS: ReadonlySet<AuditEventAction> = new Set([
  'warrant',
  'unwarrant',
  'extract-read',
  'indicator-join',
  'indicator-leave',
]);

export const USER_STATUSES = ['active', 'pending'] as const;
export type UserStatus = (typeof USER_STATUSES)[number];

export type RegisterResult = {
  readonly keyId: string;
  readonly role: Role;
  /** `active` for patients; `pending` for doctors and institutions until an org admin approves them. */
  readonly status: UserStatus;
  readonly org: string;
};
export type UploadResult = {
  readonly recordId: string;
  readonly contentHash: string;
  readonly uploadedAt: number;
  /** Present when the upload repeated an earlier one with the same idempotency key. */
  readonly replayed?: true;
};
export type GrantResult = { readonly recordId: string; readonly granteeKeyId: string; readonly grantedAt: number };
export type RevokeResult = { readonly recordId: string; readonly granteeKeyId: string; readonly revokedAt: number };
export type ViewResult = { readonly recordId: string; readonly accessId: string; readonly readableUntil: number };
export type ReadResult = {
  readonly recordId: string;
  readonly accessId: string;
  /** The sealed record, base64. */
  readonly ciphertext: string;
  readonly contentHash: string;
  /** The reader's own key wrap: the owner's, or the grant's. */
  readonly keyWrap: string;
  readonly metadata: { readonly kind: RecordMetadata['kind']; readonly createdAt: RecordMetadata['createdAt'] };
  readonly owner: string;
  readonly patientId: string;
};
export type ResultPage<T> = { readonly items: T[]; readonly bookmark: string };
export type RecordListItem = {
  readonly recordId: string;
  readonly kind: string;
  readonly createdAt: number;
  readonly uploadedAt: number;
};
export type GrantListItem = { readonly recordId: string; readonly grantedAt: number };
/** An audit entry (docs/protocol.md §9). */
export type AuditEntry = {
  readonly recordId: string;
  readonly action: AuditEventAction;
  readonly actorKeyId: string;
  /** For grant and revoke: whom it concerned (and the institution, for warrant and unwarrant). */
  readonly subjectKeyId?: string;
  /** For warrant, unwarrant, extract-read, indicator-join and indicator-leave: the study. */
  readonly studyId?: string;
  readonly at: number;
  readonly txId: string;
  readonly appId: string;
  readonly org: string;
  readonly requestHash: string;
};
export type ListRecordsResult = ResultPage<RecordListItem>;
export type ListGrantsResult = ResultPage<GrantListItem>;
export type AuditResult = ResultPage<AuditEntry>;

/** Fabric transaction ids are SHA-256 hex. */
const TX_ID = HEX64;

export function parseRegisterResult(value: unknown, name: string): RegisterResult {
  const o = expectObject(value, name, ['keyId', 'role', 'status', 'org']);
  return {
    keyId: hex64(o.keyId, `${name}.keyId`),
    role: expectOneOf(o.role, `${name}.role`, ROLES),
    status: expectOneOf(o.status, `${name}.status`, USER_STATUSES),
    org: expectString(o.org, `${name}.org`, { pattern: MSP_ID }),
  };
}

export function parseUploadResult(value: unknown, name: string): UploadResult {
  const o = expectObject(value, name, ['recordId', 'contentHash', 'uploadedAt', 'replayed']);
  if (o.replayed !== undefined && o.replayed !== true)
    throw fail('INVALID_INPUT', `${name}.replayed must be true when present`);
  return {
    recordId: hex64(o.recordId, `${name}.recordId`),
    contentHash: hex64(o.contentHash, `${name}.contentHash`),
    uploadedAt: expectInteger(o.uploadedAt, `${name}.uploadedAt`),
    ...(o.replayed === true ? { replayed: true as const } : {}),
  };
}

export function parseGrantResult(value: unknown, name: string): GrantResult {
  const o = expectObject(value, name, ['recordId', 'granteeKeyId', 'grantedAt']);
  return {
    recordId: hex64(o.recordId, `${name}.recordId`),
    granteeKeyId: hex64(o.granteeKeyId, `${name}.granteeKeyId`),
    grantedAt: expectInteger(o.grantedAt, `${name}.grantedAt`),
  };
}

export function parseRevokeResult(value: unknown, name: string): RevokeResult {
  const o = expectObject(value, name, ['recordId', 'granteeKeyId', 'revokedAt']);
  return {
    recordId: hex64(o.recordId, `${name}.recordId`),
    granteeKeyId: hex64(o.granteeKeyId, `${name}.granteeKeyId`),
    revokedAt: expectInteger(o.revokedAt, `${name}.revokedAt`),
  };
}

export function parseViewResult(value: unknown, name: string): ViewResult {
  const o = expectObject(value, name, ['recordId', 'accessId', 'readableUntil']);
  return {
    recordId: hex64(o.recordId, `${name}.recordId`),
    accessId: expectString(o.accessId, `${name}.accessId`, { pattern: TX_ID }),
    readableUntil: expectInteger(o.readableUntil, `${name}.readableUntil`),
  };
}

export function parseReadResult(value: unknown, name: string): ReadResult {
  const o = expectObject(value, name, [
    'recordId',
    'accessId',
    'ciphertext',
    'contentHash',
    'keyWrap',
    'metadata',
    'owner',
    'patientId',
  ]);
  const metadata = expectObject(o.metadata, `${name}.metadata`, ['kind', 'createdAt']);
  return {
    recordId: hex64(o.recordId, `${name}.recordId`),
    accessId: expectString(o.accessId, `${name}.accessId`, { pattern: TX_ID }),
    ciphertext: expectString(o.ciphertext, `${name}.ciphertext`, {
      pattern: BASE64_TEXT,
      maxLength: MAX_RECORD_BASE64,
    }),
    contentHash: hex64(o.contentHash, `${name}.contentHash`),
    keyWrap: expectString(o.keyWrap, `${name}.keyWrap`, { pattern: KEY_WRAP }),
    metadata: {
      kind: expectString(metadata.kind, `${name}.metadata.kind`, { pattern: KIND }),
      createdAt: expectInteger(metadata.createdAt, `${name}.metadata.createdAt`),
    },
    owner: hex64(o.owner, `${name}.owner`),
    patientId: hex64(o.patientId, `${name}.patientId`),
  };
}

/** `{items, bookmark}`, each item checked by `item`. */
export function resultPage<T>(value: unknown, name: string, item: (value: unknown, name: string) => T): ResultPage<T> {
  const o = expectObject(value, name, ['items', 'bookmark']);
  const items: unknown = o.items;
  if (!Array.isArray(items) || items.length > MAX_PAGE_SIZE)
    throw fail('INVALID_INPUT', `${name}.items must be an array of at most ${MAX_PAGE_SIZE}`);
  return {
    items: items.map((v, i) => item(v, `${name}.items[${i}]`)),
    bookmark: bookmark(o.bookmark, `${name}.bookmark`),
  };
}

function recordListItem(value: unknown, name: string): RecordListItem {
  const o = expectObject(value, name, ['recordId', 'kind', 'createdAt', 'uploadedAt']);
  return {
    recordId: hex64(o.recordId, `${name}.recordId`),
    kind: expectString(o.kind, `${name}.kind`, { pattern: KIND }),
    createdAt: expectInteger(o.createdAt, `${name}.createdAt`),
    uploadedAt: expectInteger(o.uploadedAt, `${name}.uploadedAt`),
  };
}

function grantListItem(value: unknown, name: string): GrantListItem {
  const o = expectObject(value, name, ['recordId', 'grantedAt']);
  return {
    recordId: hex64(o.recordId, `${name}.recordId`),
    grantedAt: expectInteger(o.grantedAt, `${name}.grantedAt`),
  };
}

/**
 * An audit entry, as `audit` returns it and as the ledger stores it (`medshare.audit`, docs/protocol.md
 * §9): the Audit transaction returns the stored rows unchanged, so the chaincode reads them with this parser too.
 */
export function parseAuditEntry(value: unknown, name: string): AuditEntry {
  const o = expectObject(value, name, [
    'recordId',
    'action',
    'actorKeyId',
    'subjectKeyId',
    'studyId',
    'at',
    'txId',
    'appId',
    'org',
    'requestHash',
  ]);
  const action = expectOneOf(o.action, `${name}.action`, AUDIT_ACTIONS);
  if (STUDY_ACTIONS.has(action) !== (o.studyId !== undefined))
    throw fail(
      'INVALID_INPUT',
      `${name}.studyId is present exactly for warrant, unwarrant, extract-read and the indicator actions`,
    );
  return {
    recordId: hex64(o.recordId, `${name}.recordId`),
    action,
    actorKeyId: hex64(o.actorKeyId, `${name}.actorKeyId`),
    ...(o.subjectKeyId === undefined ? {} : { subjectKeyId: hex64(o.subjectKeyId, `${name}.subjectKeyId`) }),
    ...(o.studyId === undefined ? {} : { studyId: hex64(o.studyId, `${name}.studyId`) }),
    at: expectInteger(o.at, `${name}.at`),
    txId: expectString(o.txId, `${name}.txId`, { pattern: TX_ID }),
    appId: expectString(o.appId, `${name}.appId`, { pattern: APP_ID }),
    org: expectString(o.org, `${name}.org`, { pattern: MSP_ID }),
    requestHash: hex64(o.requestHash, `${name}.requestHash`),
  };
}

export function parseListRecordsResult(value: unknown, name: string): ListRecordsResult {
  return resultPage(value, name, recordListItem);
}

export function parseListGrantsResult(value: unknown, name: string): ListGrantsResult {
  return resultPage(value, name, grantListItem);
}

export function parseAuditResult(value: unknown, name: string): AuditResult {
  return resultPage(value, name, parseAuditEntry);
}
