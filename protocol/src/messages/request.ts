import { randomBytes } from 'node:crypto';
import { fail } from '../errors/medshare-error';
import { assertPublicKey } from '@medshare/crypto/sm2';
import { APP_ID, expectInteger, expectObject, expectOneOf, expectString, HEX64, HEX_PUBLIC_KEY, NONCE } from '../validation/assert';
import { PROTOCOL_VERSION } from '../version';
import {
  parseFileId,
  parseFileRevoke,
  parseFileShare,
  parseFileUpload,
  parseFileView,
  type FileIdBody,
  type FileRevokeBody,
  type FileShareBody,
  type FileUploadBody,
  type FileViewBody,
} from './files';

/** Largest sealed record (before base64) stored on the ledger; bigger files go off-chain. */
export const MAX_RECORD_BYTES = 512 * 1024;
/** Largest JSON text any entry point parses: one record plus its envelope. */
export const MAX_MESSAGE_BYTES = 1024 * 1024;
/** How long a request may be valid, and how far its issue time may run ahead of the ledger's clock. */
export const MAX_REQUEST_LIFETIME_MS = 5 * 60 * 1000;
export const MAX_CLOCK_SKEW_MS = 60 * 1000;
const MAX_PAGE_SIZE = 100;

/** An SM2 ciphertext (C1 ‖ C3 ‖ C2) of a 32-byte record key: 65 + 32 + 32 bytes, hex. */
export const KEY_WRAP = /^04[0-9a-f]{256}$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
/** base64url without padding of Fabric's raw bookmark: one spelling per page. */
const BOOKMARK = /^[A-Za-z0-9_-]{0,1400}$/;
const KIND = /^[a-z0-9][a-z0-9-]{0,39}$/;

/**
 * A key wrap whose C1 is a point on the curve (GB/T 32918.4 §7.1 B1: C1 = [k]G): a wrap that
 * could never decrypt is refused on the way in, not discovered by its recipient later.
 */
function keyWrap(value: unknown, name: string): string {
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

export interface BodyByOp {
  register: RegisterBody;
  upload: UploadBody;
  grant: GrantBody;
  revoke: RevokeBody;
  view: ViewBody;
  read: ReadBody;
  'list-records': PageBody;
  'list-grants': PageBody;
  audit: AuditBody;
  'file-upload': FileUploadBody;
  'file-share': FileShareBody;
  'file-revoke': FileRevokeBody;
  'file-fragments': FileIdBody;
  'file-view': FileViewBody;
  'file-get': FileIdBody;
  'file-list': PageBody;
  'file-list-shared': PageBody;
}
export type Operation = keyof BodyByOp;
export const OPERATIONS = [
  'register',
  'upload',
  'grant',
  'revoke',
  'view',
  'read',
  'list-records',
  'list-grants',
  'audit',
  'file-upload',
  'file-share',
  'file-revoke',
  'file-fragments',
  'file-view',
  'file-get',
  'file-list',
  'file-list-shared',
] as const satisfies readonly Operation[];
/** Operations that change the ledger (submitted); the rest are evaluated. */
export const SUBMIT_OPERATIONS: ReadonlySet<Operation> = new Set([
  'register',
  'upload',
  'grant',
  'revoke',
  'view',
  'file-upload',
  'file-share',
  'file-revoke',
  'file-view',
]);

export interface Request<O extends Operation = Operation> {
  readonly v: typeof PROTOCOL_VERSION;
  readonly op: O;
  readonly body: BodyByOp[O];
  /** 16 random bytes, hex; one use per author key. */
  readonly nonce: string;
  /** Unix milliseconds. */
  readonly issuedAt: number;
  readonly expiresAt: number;
  readonly appId: string;
  /** Key id of the author's K1, whose signature is sig1. */
  readonly keyId: string;
}
export type AnyRequest = { [O in Operation]: Request<O> }[Operation];

const hex64 = (v: unknown, name: string): string => expectString(v, name, { pattern: HEX64 });
const page = (o: Record<string, unknown>, name: string): PageBody => ({
  pageSize: expectInteger(o.pageSize, `${name}.pageSize`, 1, MAX_PAGE_SIZE),
  bookmark: expectString(o.bookmark, `${name}.bookmark`, { pattern: BOOKMARK, minLength: 0, maxLength: 1400 }),
});

const BODY_PARSERS: { [O in Operation]: (value: unknown, name: string) => BodyByOp[O] } = {
  register(value, name) {
    const o = expectObject(value, name, ['role', 'publicKey', 'pseudonym']);
    return {
      role: expectOneOf(o.role, `${name}.role`, ROLES),
      publicKey: expectString(o.publicKey, `${name}.publicKey`, { pattern: HEX_PUBLIC_KEY }),
      pseudonym: hex64(o.pseudonym, `${name}.pseudonym`),
    };
  },
  upload(value, name) {
    const o = expectObject(value, name, ['patientId', 'ciphertext', 'contentHash', 'ownerKeyWrap', 'metadata', 'idempotencyKey']);
    const metadata = expectObject(o.metadata, `${name}.metadata`, ['kind', 'createdAt']);
    const ciphertext = expectString(o.ciphertext, `${name}.ciphertext`, { maxLength: Math.ceil(MAX_RECORD_BYTES / 3) * 4 });
    if (ciphertext.length % 4 !== 0 || !BASE64.test(ciphertext)) throw fail('INVALID_INPUT', `${name}.ciphertext must be padded standard base64`);
    return {
      patientId: hex64(o.patientId, `${name}.patientId`),
      ciphertext,
      contentHash: hex64(o.contentHash, `${name}.contentHash`),
      ownerKeyWrap: keyWrap(o.ownerKeyWrap, `${name}.ownerKeyWrap`),
      metadata: {
        kind: expectString(metadata.kind, `${name}.metadata.kind`, { pattern: KIND }),
        createdAt: expectInteger(metadata.createdAt, `${name}.metadata.createdAt`),
      },
      ...(o.idempotencyKey === undefined ? {} : { idempotencyKey: hex64(o.idempotencyKey, `${name}.idempotencyKey`) }),
    };
  },
  grant(value, name) {
    const o = expectObject(value, name, ['recordId', 'granteeKeyId', 'keyWrap']);
    return {
      recordId: hex64(o.recordId, `${name}.recordId`),
      granteeKeyId: hex64(o.granteeKeyId, `${name}.granteeKeyId`),
      keyWrap: keyWrap(o.keyWrap, `${name}.keyWrap`),
    };
  },
  revoke(value, name) {
    const o = expectObject(value, name, ['recordId', 'granteeKeyId']);
    return { recordId: hex64(o.recordId, `${name}.recordId`), granteeKeyId: hex64(o.granteeKeyId, `${name}.granteeKeyId`) };
  },
  view(value, name) {
    const o = expectObject(value, name, ['recordId']);
    return { recordId: hex64(o.recordId, `${name}.recordId`) };
  },
  read(value, name) {
    const o = expectObject(value, name, ['recordId', 'accessId']);
    return { recordId: hex64(o.recordId, `${name}.recordId`), accessId: hex64(o.accessId, `${name}.accessId`) };
  },
  'list-records'(value, name) {
    return page(expectObject(value, name, ['pageSize', 'bookmark']), name);
  },
  'list-grants'(value, name) {
    return page(expectObject(value, name, ['pageSize', 'bookmark']), name);
  },
  audit(value, name) {
    const o = expectObject(value, name, ['recordId', 'pageSize', 'bookmark']);
    return { recordId: hex64(o.recordId, `${name}.recordId`), ...page(o, name) };
  },
  'file-upload': parseFileUpload,
  'file-share': parseFileShare,
  'file-revoke': parseFileRevoke,
  'file-fragments': parseFileId,
  'file-view': parseFileView,
  'file-get': parseFileId,
  'file-list'(value, name) {
    return page(expectObject(value, name, ['pageSize', 'bookmark']), name);
  },
  'file-list-shared'(value, name) {
    return page(expectObject(value, name, ['pageSize', 'bookmark']), name);
  },
};

/** Validates an untrusted request completely (unknown fields refused) and returns a typed copy. */
export function parseRequest(value: unknown, name = 'request'): AnyRequest {
  const o = expectObject(value, name, ['v', 'op', 'body', 'nonce', 'issuedAt', 'expiresAt', 'appId', 'keyId']);
  if (o.v !== PROTOCOL_VERSION) throw fail('UNSUPPORTED_VERSION', `${name}.v must be ${PROTOCOL_VERSION}`);
  const op = expectOneOf(o.op, `${name}.op`, OPERATIONS);
  const issuedAt = expectInteger(o.issuedAt, `${name}.issuedAt`);
  const expiresAt = expectInteger(o.expiresAt, `${name}.expiresAt`);
  if (expiresAt <= issuedAt) throw fail('INVALID_INPUT', `${name}.expiresAt must be after ${name}.issuedAt`);
  if (expiresAt - issuedAt > MAX_REQUEST_LIFETIME_MS) throw fail('INVALID_INPUT', `${name} lifetime must be at most ${MAX_REQUEST_LIFETIME_MS} ms`);
  const parseBody = BODY_PARSERS[op] as (value: unknown, name: string) => BodyByOp[typeof op];
  return {
    v: PROTOCOL_VERSION,
    op,
    body: parseBody(o.body, `${name}.body`),
    nonce: expectString(o.nonce, `${name}.nonce`, { pattern: NONCE }),
    issuedAt,
    expiresAt,
    appId: expectString(o.appId, `${name}.appId`, { pattern: APP_ID }),
    keyId: hex64(o.keyId, `${name}.keyId`),
  } as AnyRequest;
}

/**
 * Checks a request's validity window against a ledger or server clock (ms):
 * `issuedAt − skew ≤ now ≤ expiresAt`.
 */
export function assertFresh(request: Pick<Request, 'issuedAt' | 'expiresAt'>, now: number): void {
  if (now > request.expiresAt) throw fail('REQUEST_EXPIRED', `request expired at ${request.expiresAt}, now ${now}`);
  if (now < request.issuedAt - MAX_CLOCK_SKEW_MS) throw fail('REQUEST_EXPIRED', `request issued at ${request.issuedAt} is in the future (now ${now})`);
}

export interface NewRequestFields<O extends Operation> {
  readonly op: O;
  readonly body: BodyByOp[O];
  readonly appId: string;
  readonly keyId: string;
  /** Unix ms; the request is valid from now until now + lifetimeMs. */
  readonly now: number;
  readonly lifetimeMs?: number;
}

/** Builds a request with a fresh random nonce (16 bytes) and a validity window. */
export function newRequest<O extends Operation>(fields: NewRequestFields<O>): Request<O> {
  const lifetime = fields.lifetimeMs ?? 2 * 60 * 1000;
  return {
    v: PROTOCOL_VERSION,
    op: fields.op,
    body: fields.body,
    nonce: randomBytes(16).toString('hex'),
    issuedAt: fields.now,
    expiresAt: fields.now + lifetime,
    appId: fields.appId,
    keyId: fields.keyId,
  };
}
