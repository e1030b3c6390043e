// SPDX-License-Identifier: Apache-2.0
import {
  AUDIT_ACTIONS,
  expectInteger,
  expectObject,
  expectOneOf,
  expectString,
  HEX64,
  HEX_PUBLIC_KEY,
  KEY_WRAP,
  MSP_ID,
  parseAuditEntry,
  parseKeywordAttestation,
  ROLES,
  type AuditEntry,
  type KeywordAttestation,
  type AuditEventAction,
  type RecordMetadata,
  type Role,
} from '@medshare/protocol';

/**
 * Ledger state. Each type is one key (composite keys, see keys.ts); no value grows with the
 * number of grants, nonces or accesses. Nothing here is plaintext medical data or a direct
 * identifier: records are sealed, people are key ids and pseudonyms.
 */

export type UserStatus = 'active' | 'pending';

export interface UserState {
  readonly keyId: string;
  readonly publicKey: string;
  readonly role: Role;
  readonly pseudonym: string;
  /** The MSP of the organization whose access layer registered the user. */
  readonly org: string;
  readonly status: UserStatus;
  readonly registeredAt: number;
  readonly approvedBy?: string;
}

export interface AccessKeyState {
  readonly keyId: string;
  readonly publicKey: string;
  readonly org: string;
  readonly notBefore: number;
  readonly notAfter: number;
  readonly retiredAt?: number;
}

export interface RecordState {
  readonly recordId: string;
  readonly owner: string;
  readonly patientId: string;
  readonly org: string;
  readonly contentHash: string;
  readonly ownerKeyWrap: string;
  readonly metadata: RecordMetadata;
  readonly uploadedAt: number;
  /** The doctor's keyword attestation the upload carried (docs/protocol.md §21.2); records before it have none. */
  readonly keywordAttestation?: KeywordAttestation;
}

export interface GrantState {
  readonly recordId: string;
  readonly granteeKeyId: string;
  readonly keyWrap: string;
  readonly grantedAt: number;
}

export type AuditAction = AuditEventAction;
/** The audit entries' actions are the access notifications' (protocol events.ts): records' and files'. */
export { AUDIT_ACTIONS };

/** An audit entry: the rows the Audit transaction returns as they are (protocol results.ts). */
export type AuditState = AuditEntry;

export interface AccessTicketState {
  readonly at: number;
  readonly txId: string;
}

const hex64 = (v: unknown, n: string): string => expectString(v, n, { pattern: HEX64 });
const time = (v: unknown, n: string): number => expectInteger(v, n);
const TX_ID = /^[0-9a-f]{64}$/;

export function parseUser(value: unknown): UserState {
  const o = expectObject(value, 'user', [
    'keyId',
    'publicKey',
    'role',
    'pseudonym',
    'org',
    'status',
    'registeredAt',
    'approvedBy',
  ]);
  return {
    keyId: hex64(o.keyId, 'user.keyId'),
    publicKey: expectString(o.publicKey, 'user.publicKey', { pattern: HEX_PUBLIC_KEY }),
    role: expectOneOf(o.role, 'user.role', ROLES),
    pseudonym: hex64(o.pseudonym, 'user.pseudonym'),
    org: expectString(o.org, 'user.org', { pattern: MSP_ID }),
    status: expectOneOf(o.status, 'user.status', ['active', 'pending'] as const),
    registeredAt: time(o.registeredAt, 'user.registeredAt'),
    ...(o.approvedBy === undefined
      ? {}
      : { approvedBy: expectString(o.approvedBy, 'user.approvedBy', { maxLength: 1024 }) }),
  };
}

export function parseAccessKey(value: unknown): AccessKeyState {
  const o = expectObject(value, 'accessKey', ['keyId', 'publicKey', 'org', 'notBefore', 'notAfter', 'retiredAt']);
  return {
    keyId: hex64(o.keyId, 'accessKey.keyId'),
    publicKey: expectString(o.publicKey, 'accessKey.publicKey', { pattern: HEX_PUBLIC_KEY }),
    org: expectString(o.org, 'accessKey.org', { pattern: MSP_ID }),
    notBefore: time(o.notBefore, 'accessKey.notBefore'),
    notAfter: time(o.notAfter, 'accessKey.notAfter'),
    ...(o.retiredAt === undefined ? {} : { retiredAt: time(o.retiredAt, 'accessKey.retiredAt') }),
  };
}

export function parseRecord(value: unknown): RecordState {
  const o = expectObject(value, 'record', [
    'recordId',
    'owner',
    'patientId',
    'org',
    'contentHash',
    'ownerKeyWrap',
    'metadata',
    'uploadedAt',
    'keywordAttestation',
  ]);
  const metadata = expectObject(o.metadata, 'record.metadata', ['kind', 'createdAt']);
  return {
    recordId: hex64(o.recordId, 'record.recordId'),
    owner: hex64(o.owner, 'record.owner'),
    patientId: hex64(o.patientId, 'record.patientId'),
    org: expectString(o.org, 'record.org', { pattern: MSP_ID }),
    contentHash: hex64(o.contentHash, 'record.contentHash'),
    ownerKeyWrap: expectString(o.ownerKeyWrap, 'record.ownerKeyWrap', { pattern: KEY_WRAP }),
    metadata: {
      kind: expectString(metadata.kind, 'record.metadata.kind', { maxLength: 40 }),
      createdAt: time(metadata.createdAt, 'record.metadata.createdAt'),
    },
    uploadedAt: time(o.uploadedAt, 'record.uploadedAt'),
    ...(o.keywordAttestation === undefined
      ? {}
      : { keywordAttestation: parseKeywordAttestation(o.keywordAttestation, 'record.keywordAttestation') }),
  };
}

export function parseRecordData(value: unknown): { ciphertext: string } {
  const o = expectObject(value, 'recordData', ['ciphertext']);
  return { ciphertext: expectString(o.ciphertext, 'recordData.ciphertext', { maxLength: 1 << 20 }) };
}

export function parseGrant(value: unknown): GrantState {
  const o = expectObject(value, 'grant', ['recordId', 'granteeKeyId', 'keyWrap', 'grantedAt']);
  return {
    recordId: hex64(o.recordId, 'grant.recordId'),
    granteeKeyId: hex64(o.granteeKeyId, 'grant.granteeKeyId'),
    keyWrap: expectString(o.keyWrap, 'grant.keyWrap', { pattern: KEY_WRAP }),
    grantedAt: time(o.grantedAt, 'grant.grantedAt'),
  };
}

export function parseAudit(value: unknown): AuditState {
  return parseAuditEntry(value, 'audit');
}

export function parseAccessTicket(value: unknown): AccessTicketState {
  const o = expectObject(value, 'access', ['at', 'txId']);
  return { at: time(o.at, 'access.at'), txId: expectString(o.txId, 'access.txId', { pattern: TX_ID }) };
}

export function parseNonce(value: unknown): { txId: string; expiresAt: number } {
  const o = expectObject(value, 'nonce', ['txId', 'expiresAt']);
  return {
    txId: expectString(o.txId, 'nonce.txId', { pattern: TX_ID }),
    expiresAt: time(o.expiresAt, 'nonce.expiresAt'),
  };
}

/** An upload's idempotency key, under its owner: the record the first upload with it created. */
export function parseUploadKey(value: unknown): { recordId: string } {
  const o = expectObject(value, 'uploadKey', ['recordId']);
  return { recordId: hex64(o.recordId, 'uploadKey.recordId') };
}

export function parsePseudonym(value: unknown): { keyId: string } {
  const o = expectObject(value, 'pseudonym', ['keyId']);
  return { keyId: hex64(o.keyId, 'pseudonym.keyId') };
}

/** A type alias (not an interface) so it is assignable to JsonValue. */
export type OwnerIndexState = {
  readonly recordId: string;
  readonly kind: string;
  readonly createdAt: number;
  readonly uploadedAt: number;
};

export function parseOwnerIndex(value: unknown): OwnerIndexState {
  const o = expectObject(value, 'ownerIndex', ['recordId', 'kind', 'createdAt', 'uploadedAt']);
  return {
    recordId: hex64(o.recordId, 'ownerIndex.recordId'),
    kind: expectString(o.kind, 'ownerIndex.kind', { maxLength: 40 }),
    createdAt: time(o.createdAt, 'ownerIndex.createdAt'),
    uploadedAt: time(o.uploadedAt, 'ownerIndex.uploadedAt'),
  };
}

export function parseGranteeIndex(value: unknown): { recordId: string; grantedAt: number } {
  const o = expectObject(value, 'granteeIndex', ['recordId', 'grantedAt']);
  return {
    recordId: hex64(o.recordId, 'granteeIndex.recordId'),
    grantedAt: time(o.grantedAt, 'granteeIndex.grantedAt'),
  };
}

// ---- research (docs/protocol.md §19) ----------------------------------------------------------

/** A patient's profile, sealed for the patient (the ledger never holds it in the clear). */
export type ProfileState = {
  readonly keyId: string;
  readonly sealedProfile: string;
  readonly profileKeyWrap: string;
  readonly updatedAt: number;
};

export function parseProfile(value: unknown): ProfileState {
  const o = expectObject(value, 'profile', ['keyId', 'sealedProfile', 'profileKeyWrap', 'updatedAt']);
  return {
    keyId: hex64(o.keyId, 'profile.keyId'),
    sealedProfile: expectString(o.sealedProfile, 'profile.sealedProfile', { maxLength: 16 * 1024 }),
    profileKeyWrap: expectString(o.profileKeyWrap, 'profile.profileKeyWrap', { pattern: KEY_WRAP }),
    updatedAt: time(o.updatedAt, 'profile.updatedAt'),
  };
}

/** One row of a patient's append-only record list (written by Upload, never changed). */
export type PatientRecordState = { readonly recordId: string; readonly kind: string; readonly uploadedAt: number };

export function parsePatientRecord(value: unknown): PatientRecordState {
  const o = expectObject(value, 'patientRecord', ['recordId', 'kind', 'uploadedAt']);
  return {
    recordId: hex64(o.recordId, 'patientRecord.recordId'),
    kind: expectString(o.kind, 'patientRecord.kind', { maxLength: 40 }),
    uploadedAt: time(o.uploadedAt, 'patientRecord.uploadedAt'),
  };
}

/** A record warranted to an institution's study: the record's institution authorization. */
export type WarrantState = {
  readonly recordId: string;
  readonly institutionKeyId: string;
  readonly studyId: string;
  readonly entryId: string;
  readonly warrantedAt: number;
};

export function parseWarrant(value: unknown): WarrantState {
  const o = expectObject(value, 'warrant', ['recordId', 'institutionKeyId', 'studyId', 'entryId', 'warrantedAt']);
  return {
    recordId: hex64(o.recordId, 'warrant.recordId'),
    institutionKeyId: hex64(o.institutionKeyId, 'warrant.institutionKeyId'),
    studyId: hex64(o.studyId, 'warrant.studyId'),
    entryId: hex64(o.entryId, 'warrant.entryId'),
    warrantedAt: time(o.warrantedAt, 'warrant.warrantedAt'),
  };
}
