// SPDX-License-Identifier: Apache-2.0
import { KEY } from '../../state/keys';
import { index, Table } from '../../state/table';
import {
  parseFile,
  parseFileAccess,
  parseFileOwnerIndex,
  parseFileShareIndex,
  parseFileShareRow,
  parseProxy,
  type FileShareState,
  type FileState,
} from './model';

/** A patient's files: `medshare.owner-file [ownerKeyId, fileId]`, kept with each file. */
export const fileOwnerIndex = new Table({
  type: KEY.fileOwner,
  key: ['ownerKeyId', 'fileId'],
  parse: parseFileOwnerIndex,
});

/** File descriptors: `medshare.file [fileId]`, indexed under their owner. */
export const files = new Table({
  type: KEY.file,
  key: ['fileId'],
  parse: parseFile,
  indexes: [
    index(fileOwnerIndex, (key: { fileId: string }, file: FileState) => ({
      key: { ownerKeyId: file.owner, fileId: key.fileId },
      row: { fileId: key.fileId, mediaType: file.mediaType, size: file.size, uploadedAt: file.uploadedAt },
    })),
  ],
});

/** Re-encryption proxies: `medshare.proxy [proxyId]`. */
export const proxies = new Table({ type: KEY.proxy, key: ['proxyId'], parse: parseProxy });

/** What a receiver was shared: `medshare.receiver-file [receiverKeyId, fileId]`, kept with each share. */
export const fileShareReceiverIndex = new Table({
  type: KEY.fileShareReceiver,
  key: ['receiverKeyId', 'fileId'],
  parse: parseFileShareIndex,
});

/**
 * A file's shares: `medshare.file-share [fileId, receiverKeyId]`, indexed under the receiver; the
 * index row is written and deleted with the share (a revoke leaves neither).
 */
export const fileShares = new Table({
  type: KEY.fileShare,
  key: ['fileId', 'receiverKeyId'],
  parse: parseFileShareRow,
  indexes: [
    index(fileShareReceiverIndex, (key: { fileId: string; receiverKeyId: string }, share: FileShareState) => ({
      key: { receiverKeyId: key.receiverKeyId, fileId: key.fileId },
      row: { fileId: key.fileId, threshold: share.threshold, sharedAt: share.sharedAt },
    })),
  ],
});

/** Committed views: `medshare.file-access [fileId, actor, txId] → {at, txId, proxies}` (actor: protocol actorKey). */
export const fileAccesses = new Table({
  type: KEY.fileAccess,
  key: ['fileId', 'actor', 'txId'],
  parse: parseFileAccess,
});
