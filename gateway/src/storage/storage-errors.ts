// SPDX-License-Identifier: Apache-2.0
import { MedshareError, fail } from '@medshare/protocol';

/** The errno codes of a file system that is full, read-only, gone or failing: the store cannot take the call. */
const UNAVAILABLE_ERRNO = new Set([
  'ENOSPC',
  'EDQUOT',
  'EROFS',
  'EIO',
  'EACCES',
  'EPERM',
  'EMFILE',
  'ENFILE',
  'ENODEV',
  'ENXIO',
  'ESTALE',
]);

export function errnoOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  const code = error.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * A file-system failure of the embedded store as a coded error. The message names the key (the
 * store's own vocabulary) but never the folder: the answer may reach a client.
 */
export function fileStoreFailure(error: unknown, key: string): MedshareError {
  if (error instanceof MedshareError) return error;
  const errno = errnoOf(error);
  if (errno === 'ENOENT') return fail('BLOB_NOT_FOUND', `no object ${key}`, error);
  if (errno === 'EEXIST') return fail('BLOB_EXISTS', `object ${key} already exists`, error);
  const why = errno !== undefined && UNAVAILABLE_ERRNO.has(errno) ? errno : 'an I/O error';
  return fail('STORAGE_UNAVAILABLE', `the embedded object store failed on ${key} (${why})`, error);
}
