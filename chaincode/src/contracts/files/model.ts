// SPDX-License-Identifier: Apache-2.0
import {
  HEX64,
  HEX_PUBLIC_KEY,
  MSP_ID,
  expectInteger,
  expectObject,
  expectString,
  parseFileShare,
  parseStoredFileDescriptor,
  type FileFragmentGrant,
  type StoredFileDescriptor,
} from '@medshare/protocol';

/**
 * The files contract's ledger state (docs/protocol.md §9, §17). The descriptor and share fields a
 * request brings are validated by the request's own parsers (protocol messages/files.ts), so a
 * stored row obeys exactly the rules its transaction checked.
 */

const hex64 = (v: unknown, n: string): string => expectString(v, n, { pattern: HEX64 });
const time = (v: unknown, n: string): number => expectInteger(v, n);
const TX_ID = /^[0-9a-f]{64}$/;

/** A file's descriptor: the row is exactly what its owner's file-get returns (protocol file-results.ts). */
export type FileState = StoredFileDescriptor;

export function parseFile(value: unknown): FileState {
  return parseStoredFileDescriptor(value, 'file');
}

export type FileOwnerIndexState = {
  readonly fileId: string;
  readonly mediaType: string;
  readonly size: number;
  readonly uploadedAt: number;
};

export function parseFileOwnerIndex(value: unknown): FileOwnerIndexState {
  const o = expectObject(value, 'fileOwnerIndex', ['fileId', 'mediaType', 'size', 'uploadedAt']);
  return {
    fileId: hex64(o.fileId, 'fileOwnerIndex.fileId'),
    mediaType: expectString(o.mediaType, 'fileOwnerIndex.mediaType', { maxLength: 127 }),
    size: expectInteger(o.size, 'fileOwnerIndex.size', 0),
    uploadedAt: time(o.uploadedAt, 'fileOwnerIndex.uploadedAt'),
  };
}

export type ProxyState = {
  /** keyIdOf(publicKey). */
  readonly proxyId: string;
  readonly publicKey: string;
  /** The MSP of the admin who registered it: only that org's admins retire it. */
  readonly org: string;
  readonly registeredAt: number;
  readonly retiredAt?: number;
};

export function parseProxy(value: unknown): ProxyState {
  const o = expectObject(value, 'proxy', ['proxyId', 'publicKey', 'org', 'registeredAt', 'retiredAt']);
  return {
    proxyId: hex64(o.proxyId, 'proxy.proxyId'),
    publicKey: expectString(o.publicKey, 'proxy.publicKey', { pattern: HEX_PUBLIC_KEY }),
    org: expectString(o.org, 'proxy.org', { pattern: MSP_ID }),
    registeredAt: time(o.registeredAt, 'proxy.registeredAt'),
    ...(o.retiredAt === undefined ? {} : { retiredAt: time(o.retiredAt, 'proxy.retiredAt') }),
  };
}

export type FileShareState = {
  readonly fileId: string;
  readonly receiver: string;
  readonly threshold: number;
  readonly fragments: readonly FileFragmentGrant[];
  readonly sharedAt: number;
  /** The share's transaction: part of its re-encryption context, so fragments serve this share only. */
  readonly txId: string;
};

export function parseFileShareRow(value: unknown): FileShareState {
  const o = expectObject(value, 'fileShare', ['fileId', 'receiver', 'threshold', 'fragments', 'sharedAt', 'txId']);
  const body = parseFileShare(
    { fileId: o.fileId, receiverKeyId: o.receiver, threshold: o.threshold, fragments: o.fragments },
    'fileShare',
  );
  return {
    fileId: body.fileId,
    receiver: body.receiverKeyId,
    threshold: body.threshold,
    fragments: body.fragments,
    sharedAt: time(o.sharedAt, 'fileShare.sharedAt'),
    txId: expectString(o.txId, 'fileShare.txId', { pattern: TX_ID }),
  };
}

export type FileShareIndexState = {
  readonly fileId: string;
  readonly threshold: number;
  readonly sharedAt: number;
};

export function parseFileShareIndex(value: unknown): FileShareIndexState {
  const o = expectObject(value, 'fileShareIndex', ['fileId', 'threshold', 'sharedAt']);
  return {
    fileId: hex64(o.fileId, 'fileShareIndex.fileId'),
    threshold: expectInteger(o.threshold, 'fileShareIndex.threshold', 1),
    sharedAt: time(o.sharedAt, 'fileShareIndex.sharedAt'),
  };
}

export type FileAccessState = {
  readonly at: number;
  readonly txId: string;
  /** The proxies whose capsule fragments the chaincode verified for this view (none for the owner). */
  readonly proxies: readonly string[];
};

export function parseFileAccess(value: unknown): FileAccessState {
  const o = expectObject(value, 'fileAccess', ['at', 'txId', 'proxies']);
  if (!Array.isArray(o.proxies) || o.proxies.length > 16)
    throw new TypeError('fileAccess.proxies must be an array of at most 16');
  return {
    at: time(o.at, 'fileAccess.at'),
    txId: expectString(o.txId, 'fileAccess.txId', { pattern: TX_ID }),
    proxies: o.proxies.map((p, i) => hex64(p, `fileAccess.proxies[${i}]`)),
  };
}
