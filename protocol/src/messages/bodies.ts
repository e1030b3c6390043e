// SPDX-License-Identifier: Apache-2.0
/**
 * The request bodies of the signature-chain operations (docs/protocol.md §6), one parser each.
 * Which operation takes which body is the operations table's (operations.ts).
 */
import { fail } from '../errors/medshare-error';
import { isBase64Text } from '@medshare/crypto/bytes';
import { assertPublicKey } from '@medshare/crypto/sm2';
import { expectInteger, expectObject, expectOneOf, expectString, HEX64, HEX_PUBLIC_KEY } from '../validation/assert';
import { parseKeywordAttestation, type KeywordAttestation } from './keyword-attestation';

/** Largest sealed record (before base64) stored on the ledger; bigger files go off-chain. */
export const MAX_RECORD_BYTES = 512 * 1024;
/** Longest base64 text of a sealed record. */
export const MAX_RECORD_BASE64 = Math.ceil(MAX_RECORD_BYTES / 3) * 4;
export const MAX_PAGE_SIZE = 100;

/** An SM2 ciphertext (C1 ‖ C3 ‖ C2) of a 32-byte record key: 65 + 32 + 32 bytes, hex. */
export const KEY_WRAP = /^04[0-9a-f]{256}$/;
export const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
/** BASE64's test, fast on megabyte strings (crypto's isBase64Text); the same refusals, named by BASE64. */
export const BASE64_TEXT = { source: BASE64.source, test: isBase64Text } as const;
/** base64url without padding of Fabric's raw bookmark: one spelling per page. */
export const BOOKMARK = /^[A-Za-z0-9_-]{0,1400}$/;
export const KIND = /^[a-z0-9][a-z0-9-]{0,39}$/;

/**
 * A key wrap whose C1 is a point on the curve (GB/T 32918.4 §7.1 B1: C1 = [k]G): a wrap that
 * could never decrypt is refused on the way in, not discovered by its recipient later.
 */
export function parseKeyWrap(value: unknown, name: string): string {
  const wrap = expectString(value, name, { pattern: KEY_WRAP });
  try {
    assertPublicKey(wrap.slice(0, 130));
  } catch {
    throw fail('INVALID_INPUT', `${name}: C1 is not a point on the SM2 curve`);
  }
  return wrap;
}

export const ROLES = ['patient', 'doctor', 'institution'] as const;
export type Role = (typeof ROLES)[number];

export interface RegisterBody {
  readonly role: Role;
  readonly publicKey: string;
  /** A pseudonymous id (64 hex, e.g. HMAC-SM3 of a hospital number under a hospital secret). */
  readonly pseudonym: string;
}
export interface RecordMetadata {
  /** A coarse record type such as `lab-result`; never free text. */
  readonly kind: string;
  readonly createdAt: number;
}
export interface UploadBody {
  readonly patientId: string;
  /** The sealed record (docs/protocol.md "sealed box"), base64. */
  readonly ciphertext: string;
  /** SM3 of the sealed bytes, hex; the chaincode recomputes it. */
  readonly contentHash: string;
  readonly ownerKeyWrap: string;
  readonly metadata: RecordMetadata;
  /**
   * Optional, chosen by the client per logical upload (32 random bytes, hex). A second upload
   * by the same owner with the same key returns the first one's record instead of a new one.
   */
  readonly idempotencyKey?: string;
  /**
   * Optional: the doctor's attestation of a keyword commitment for this record (docs/protocol.md
   * §21.2), the hospital-issued binding an indicator study's zero-knowledge keyword match opens.
   */
  readonly keywordAttestation?: KeywordAttestation;
}
export interface GrantBody {
  readonly recordId: string;
  readonly granteeKeyId: string;
  readonly keyWrap: string;
}
export interface RevokeBody {
  readonly recordId: string;
  readonly granteeKeyId: string;
}
export interface ViewBody {
  readonly recordId: string;
}
export interface ReadBody {
  readonly recordId: string;
  readonly accessId: string;
}
export interface PageBody {
  readonly pageSize: number;
  readonly bookmark: string;
}
export interface AuditBody extends PageBody {
  readonly recordId: string;
}

export const hex64 = (v: unknown, name: string): string => expectString(v, name, { pattern: HEX64 });
export const bookmark = (v: unknown, name: string): string =>
  expectString(v, name, { pattern: BOOKMARK, minLength: 0, maxLength: 1400 });
const page = (o: Record<string, unknown>, name: string): PageBody => ({
  pageSize: expectInteger(o.pageSize, `${name}.pageSize`, 1, MAX_PAGE_SIZE),
  bookmark: bookmark(o.bookmark, `${name}.bookmark`),
});

export function parseRegisterBody(value: unknown, name: string): RegisterBody {
  const o = expectObject(value, name, ['role', 'publicKey', 'pseudonym']);
  return {
    role: expectOneOf(o.role, `${name}.role`, ROLES),
    publicKey: expectString(o.publicKey, `${name}.publicKey`, { pattern: HEX_PUBLIC_KEY }),
    pseudonym: hex64(o.pseudonym, `${name}.pseudonym`),
  };
}

export function parseUploadBody(value: unknown, name: string): UploadBody {
  const o = expectObject(value, name, [
    'patientId',
    'ciphertext',
    'contentHash',
    'ownerKeyWrap',
    'metadata',
    'idempotencyKey',
    'keywordAttestation',
  ]);
  const metadata = expectObject(o.metadata, `${name}.metadata`, ['kind', 'createdAt']);
  const ciphertext = expectString(o.ciphertext, `${name}.ciphertext`, { maxLength: MAX_RECORD_BASE64 });
  if (ciphertext.length % 4 !== 0 || !isBase64Text(ciphertext))
    throw fail('INVALID_INPUT', `${name}.ciphertext must be padded standard base64`);
  return {
    patientId: hex64(o.patientId, `${name}.patientId`),
    ciphertext,
    contentHash: hex64(o.contentHash, `${name}.contentHash`),
    ownerKeyWrap: parseKeyWrap(o.ownerKeyWrap, `${name}.ownerKeyWrap`),
    metadata: {
      kind: expectString(metadata.kind, `${name}.metadata.kind`, { pattern: KIND }),
      createdAt: expectInteger(metadata.createdAt, `${name}.metadata.createdAt`),
    },
    ...(o.idempotencyKey === undefined ? {} : { idempotencyKey: hex64(o.idempotencyKey, `${name}.idempotencyKey`) }),
    ...(o.keywordAttestation === undefined
      ? {}
      : { keywordAttestation: parseKeywordAttestation(o.keywordAttestation, `${name}.keywordAttestation`) }),
  };
}

export function parseGrantBody(value: unknown, name: string): GrantBody {
  const o = expectObject(value, name, ['recordId', 'granteeKeyId', 'keyWrap']);
  return {
    recordId: hex64(o.recordId, `${name}.recordId`),
    granteeKeyId: hex64(o.granteeKeyId, `${name}.granteeKeyId`),
    keyWrap: parseKeyWrap(o.keyWrap, `${name}.keyWrap`),
  };
}

export function parseRevokeBody(value: unknown, name: string): RevokeBody {
  const o = expectObject(value, name, ['recordId', 'granteeKeyId']);
  return {
    recordId: hex64(o.recordId, `${name}.recordId`),
    granteeKeyId: hex64(o.granteeKeyId, `${name}.granteeKeyId`),
  };
}

export function parseViewBody(value: unknown, name: string): ViewBody {
  const o = expectObject(value, name, ['recordId']);
  return { recordId: hex64(o.recordId, `${name}.recordId`) };
}

export function parseReadBody(value: unknown, name: string): ReadBody {
  const o = expectObject(value, name, ['recordId', 'accessId']);
  return { recordId: hex64(o.recordId, `${name}.recordId`), accessId: hex64(o.accessId, `${name}.accessId`) };
}

/** list-records and list-grants. */
export function parsePageBody(value: unknown, name: string): PageBody {
  return page(expectObject(value, name, ['pageSize', 'bookmark']), name);
}

export function parseAuditBody(value: unknown, name: string): AuditBody {
  const o = expectObject(value, name, ['recordId', 'pageSize', 'bookmark']);
  return { recordId: hex64(o.recordId, `${name}.recordId`), ...page(o, name) };
}
