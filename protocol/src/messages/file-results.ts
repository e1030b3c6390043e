// SPDX-License-Identifier: Apache-2.0
/**
 * What the files contract's signature-chain transactions return (docs/protocol.md §17), one strict
 * parser each, as results.ts does for records. Type aliases, so they are assignable to JsonValue.
 */
import { expectInteger, expectObject, expectString, HEX64, HEX_PUBLIC_KEY, MSP_ID } from '../validation/assert';
import { fail } from '../errors/medshare-error';
import { hex64 } from './bodies';
import {
  capsuleHex,
  FILE_UPLOAD_FIELDS,
  fileUploadFields,
  MAX_FILE_PROXIES,
  parseFileShare,
  pointHex,
  type FileUploadBody,
} from './files';
import { resultPage, type ResultPage } from './results';

const HEX = /^(?:[0-9a-f]{2})+$/;
const time = (v: unknown, name: string): number => expectInteger(v, name);

export type FileUploadResult = {
  readonly fileId: string;
  readonly root: string;
  readonly size: number;
  readonly uploadedAt: number;
};
export type FileShareResult = {
  readonly fileId: string;
  readonly receiverKeyId: string;
  readonly threshold: number;
  readonly shareId: string;
  readonly sharedAt: number;
};
export type FileRevokeResult = { readonly fileId: string; readonly receiverKeyId: string; readonly revokedAt: number };
export type FileShareProxy = {
  readonly proxyId: string;
  readonly publicKey: string;
  readonly org: string;
  readonly fragmentId: string;
  readonly sealedFragment: string;
};
/** The receiver's share: what its gateway asks the proxies with. */
export type FileFragmentsResult = {
  readonly fileId: string;
  readonly receiverKeyId: string;
  readonly receiverPublicKey: string;
  readonly capsule: string;
  readonly delegatingKey: string;
  readonly threshold: number;
  readonly shareId: string;
  /** The re-encryption context (§17), hex. */
  readonly context: string;
  readonly proxies: FileShareProxy[];
};
export type FileViewResult = {
  readonly fileId: string;
  readonly accessId: string;
  readonly readableUntil: number;
  /** The descriptor's root and size: the gateway serves `files/<root>` to this access (§17). */
  readonly root: string;
  readonly size: number;
  readonly proxies: string[];
};
/** A file's descriptor: `ownerKeyWrap` for its owner only; `threshold` and `shareId` for a receiver. */
export type FileDescriptor = {
  readonly fileId: string;
  readonly owner: string;
  readonly org: string;
  readonly uploadedAt: number;
  readonly uploadId: string;
  readonly root: string;
  readonly size: number;
  readonly chunkBytes: number;
  readonly mediaType: string;
  readonly capsule: string;
  readonly delegatingKey: string;
  readonly keyCheck: string;
  readonly ownerKeyWrap?: string;
  readonly threshold?: number;
  readonly shareId?: string;
};
export type FileListItem = {
  readonly fileId: string;
  readonly mediaType: string;
  readonly size: number;
  readonly uploadedAt: number;
};
export type SharedFileListItem = { readonly fileId: string; readonly threshold: number; readonly sharedAt: number };

export function parseFileUploadResult(value: unknown, name: string): FileUploadResult {
  const o = expectObject(value, name, ['fileId', 'root', 'size', 'uploadedAt']);
  return {
    fileId: hex64(o.fileId, `${name}.fileId`),
    root: hex64(o.root, `${name}.root`),
    size: expectInteger(o.size, `${name}.size`),
    uploadedAt: time(o.uploadedAt, `${name}.uploadedAt`),
  };
}

export function parseFileShareResult(value: unknown, name: string): FileShareResult {
  const o = expectObject(value, name, ['fileId', 'receiverKeyId', 'threshold', 'shareId', 'sharedAt']);
  return {
    fileId: hex64(o.fileId, `${name}.fileId`),
    receiverKeyId: hex64(o.receiverKeyId, `${name}.receiverKeyId`),
    threshold: expectInteger(o.threshold, `${name}.threshold`, 1, MAX_FILE_PROXIES),
    shareId: hex64(o.shareId, `${name}.shareId`),
    sharedAt: time(o.sharedAt, `${name}.sharedAt`),
  };
}

export function parseFileRevokeResult(value: unknown, name: string): FileRevokeResult {
  const o = expectObject(value, name, ['fileId', 'receiverKeyId', 'revokedAt']);
  return {
    fileId: hex64(o.fileId, `${name}.fileId`),
    receiverKeyId: hex64(o.receiverKeyId, `${name}.receiverKeyId`),
    revokedAt: time(o.revokedAt, `${name}.revokedAt`),
  };
}

export function parseFileFragmentsResult(value: unknown, name: string): FileFragmentsResult {
  const o = expectObject(value, name, [
    'fileId',
    'receiverKeyId',
    'receiverPublicKey',
    'capsule',
    'delegatingKey',
    'threshold',
    'shareId',
    'context',
    'proxies',
  ]);
  if (!Array.isArray(o.proxies) || o.proxies.length > MAX_FILE_PROXIES)
    throw fail('INVALID_INPUT', `${name}.proxies must be an array of at most ${MAX_FILE_PROXIES}`);
  const proxies = (o.proxies as unknown[]).map((v, i): FileShareProxy => {
    const n = `${name}.proxies[${i}]`;
    const p = expectObject(v, n, ['proxyId', 'publicKey', 'org', 'fragmentId', 'sealedFragment']);
    // The fragment's own fields are a share's (files.ts): checked by the share parser.
    const [fragment] = parseFileShare(
      {
        fileId: o.fileId,
        receiverKeyId: o.receiverKeyId,
        threshold: 1,
        fragments: [{ proxyId: p.proxyId, fragmentId: p.fragmentId, sealedFragment: p.sealedFragment }],
      },
      n,
    ).fragments;
    if (!fragment) throw fail('INVALID_INPUT', `${n} is not a fragment`);
    return {
      ...fragment,
      publicKey: expectString(p.publicKey, `${n}.publicKey`, { pattern: HEX_PUBLIC_KEY }),
      org: expectString(p.org, `${n}.org`, { pattern: MSP_ID }),
    };
  });
  return {
    fileId: hex64(o.fileId, `${name}.fileId`),
    receiverKeyId: hex64(o.receiverKeyId, `${name}.receiverKeyId`),
    receiverPublicKey: expectString(o.receiverPublicKey, `${name}.receiverPublicKey`, { pattern: HEX_PUBLIC_KEY }),
    capsule: capsuleHex(o.capsule, `${name}.capsule`),
    delegatingKey: pointHex(o.delegatingKey, `${name}.delegatingKey`),
    threshold: expectInteger(o.threshold, `${name}.threshold`, 1, MAX_FILE_PROXIES),
    shareId: hex64(o.shareId, `${name}.shareId`),
    context: expectString(o.context, `${name}.context`, { pattern: HEX, maxLength: 1024 }),
    proxies,
  };
}

export function parseFileViewResult(value: unknown, name: string): FileViewResult {
  const o = expectObject(value, name, ['fileId', 'accessId', 'readableUntil', 'root', 'size', 'proxies']);
  if (!Array.isArray(o.proxies) || o.proxies.length > MAX_FILE_PROXIES)
    throw fail('INVALID_INPUT', `${name}.proxies must be an array of at most ${MAX_FILE_PROXIES}`);
  return {
    fileId: hex64(o.fileId, `${name}.fileId`),
    accessId: hex64(o.accessId, `${name}.accessId`),
    readableUntil: time(o.readableUntil, `${name}.readableUntil`),
    root: hex64(o.root, `${name}.root`),
    size: expectInteger(o.size, `${name}.size`),
    proxies: (o.proxies as unknown[]).map((v, i) => expectString(v, `${name}.proxies[${i}]`, { pattern: HEX64 })),
  };
}

/** A file's descriptor as the ledger stores it (`medshare.file`, docs/protocol.md §9) and its owner gets it. */
export type StoredFileDescriptor = FileUploadBody & {
  readonly fileId: string;
  readonly owner: string;
  readonly org: string;
  readonly uploadedAt: number;
};

const DESCRIPTOR_FIELDS = ['fileId', 'owner', 'org', 'uploadedAt', ...FILE_UPLOAD_FIELDS] as const;

/** What the ledger adds to an upload's fields. */
function ledgerFields(o: Record<string, unknown>, name: string): Omit<StoredFileDescriptor, keyof FileUploadBody> {
  return {
    fileId: hex64(o.fileId, `${name}.fileId`),
    owner: hex64(o.owner, `${name}.owner`),
    org: expectString(o.org, `${name}.org`, { pattern: MSP_ID }),
    uploadedAt: time(o.uploadedAt, `${name}.uploadedAt`),
  };
}

/**
 * The stored descriptor (the chaincode's files table reads its rows with this): every upload field,
 * ownerKeyWrap included, and the ledger's fileId, owner, org and uploadedAt. The owner's file-get
 * result is this row; a receiver's ({@link parseFileGetResult}) lacks ownerKeyWrap and adds its share.
 */
export function parseStoredFileDescriptor(value: unknown, name: string): StoredFileDescriptor {
  const o = expectObject(value, name, DESCRIPTOR_FIELDS);
  return { ...fileUploadFields(o, name, 'required'), ...ledgerFields(o, name) };
}

export function parseFileGetResult(value: unknown, name: string): FileDescriptor {
  const o = expectObject(value, name, [...DESCRIPTOR_FIELDS, 'threshold', 'shareId']);
  return {
    ...fileUploadFields(o, name, 'optional'),
    ...ledgerFields(o, name),
    ...(o.threshold === undefined
      ? {}
      : { threshold: expectInteger(o.threshold, `${name}.threshold`, 1, MAX_FILE_PROXIES) }),
    ...(o.shareId === undefined ? {} : { shareId: hex64(o.shareId, `${name}.shareId`) }),
  };
}

function fileListItem(value: unknown, name: string): FileListItem {
  const o = expectObject(value, name, ['fileId', 'mediaType', 'size', 'uploadedAt']);
  return {
    fileId: hex64(o.fileId, `${name}.fileId`),
    mediaType: expectString(o.mediaType, `${name}.mediaType`, { maxLength: 127 }),
    size: expectInteger(o.size, `${name}.size`),
    uploadedAt: time(o.uploadedAt, `${name}.uploadedAt`),
  };
}

function sharedFileListItem(value: unknown, name: string): SharedFileListItem {
  const o = expectObject(value, name, ['fileId', 'threshold', 'sharedAt']);
  return {
    fileId: hex64(o.fileId, `${name}.fileId`),
    threshold: expectInteger(o.threshold, `${name}.threshold`, 1, MAX_FILE_PROXIES),
    sharedAt: time(o.sharedAt, `${name}.sharedAt`),
  };
}

export function parseFileListResult(value: unknown, name: string): ResultPage<FileListItem> {
  return resultPage(value, name, fileListItem);
}

export function parseSharedFileListResult(value: unknown, name: string): ResultPage<SharedFileListItem> {
  return resultPage(value, name, sharedFileListItem);
}
