// SPDX-License-Identifier: Apache-2.0
import type { Readable } from 'node:stream';
import { fail } from '@medshare/protocol';

/** A byte range of an object: `start` inclusive, `end` exclusive (clipped to the object's size). */
export interface BlobRange {
  readonly start: number;
  readonly end: number;
}

export interface BlobListing {
  readonly key: string;
  readonly size: number;
  /** Last modification, ms since the epoch. */
  readonly modifiedAt: number;
}

/** Where a listing starts: after this key (bytewise), for a sweep that goes on where the last one stopped. */
export interface ListOptions {
  readonly startAfter?: string;
}

/** One part of a resumable write: `length` bytes at `offset` of the object; parts are numbered from 1. */
export interface BlobPart {
  readonly number: number;
  readonly offset: number;
  readonly length: number;
}

/**
 * A resumable write of a new object (docs/protocol.md §17, "Stream"): parts stored one by one,
 * each durable once its writePart resolves, then published under the key in one step. S3: a
 * multipart upload (every part but the last at least `minPartBytes`); embedded: a part file in the
 * store's folder, each part written at its offset and fsync'd. Nothing is visible under the key,
 * in list() or get(), until complete(). The handle lives in memory: a gateway that restarts
 * cannot resume it, and listResumable() finds it for the sweep.
 */
export interface ResumableWrite {
  readonly key: string;
  /**
   * Stores exactly `part.length` bytes of `body` as `part`: all of them, durably, or the promise
   * rejects (the body's own error passes unchanged) and the part does not count. A part written
   * again replaces the earlier bytes of that number.
   */
  writePart(part: BlobPart, body: Readable): Promise<void>;
  /** Publishes parts 1..`parts` (written, contiguous) as the object of `size` bytes: BLOB_EXISTS if the key exists meanwhile. */
  complete(parts: number, size: number): Promise<void>;
  /** Removes every stored part; idempotent, and a completed write is left alone. */
  abort(): Promise<void>;
}

/** A resumable write left unfinished (an abandoned upload, a crashed gateway's), as the sweep finds it. */
export interface PendingWrite {
  readonly key: string;
  /** When it began (S3) or was last written to (embedded), ms since the epoch. */
  readonly touchedAt: number;
  abort(): Promise<void>;
}

/**
 * The gateway's object storage for large files (issue #13; docs/architecture.md, docs/protocol.md §16-17):
 * `files/<root>` and `files/<root>.leaves` (write-once, content-addressed by the §16 root) and
 * `staging/<uploadId>`. Only the gateway holds the credentials. Every failure is a coded
 * MedshareError: BLOB_NOT_FOUND, BLOB_EXISTS, STORAGE_UNAVAILABLE, INVALID_INPUT for a bad key.
 */
export interface BlobStore {
  readonly kind: 'embedded' | 's3';
  /**
   * Streams `body` into a new object `key`; BLOB_EXISTS if it exists. Never buffers the whole
   * body. A put that fails (the body errors, the store refuses) leaves no object behind.
   */
  put(key: string, body: Readable): Promise<{ size: number }>;
  /** A stream of the object (or a byte range, end exclusive); BLOB_NOT_FOUND. */
  get(key: string, range?: BlobRange): Promise<Readable>;
  head(key: string): Promise<{ size: number } | undefined>;
  /** Copies `from` to a new object `to`: BLOB_NOT_FOUND, BLOB_EXISTS (write-once as put). */
  copy(from: string, to: string): Promise<void>;
  /** Idempotent: deleting a missing object is not an error. */
  delete(key: string): Promise<void>;
  /** The objects whose key starts with `prefix`, in key order (bytewise, as S3 lists), after `startAfter` if given. */
  list(prefix: string, options?: ListOptions): AsyncIterable<BlobListing>;
  /** The smallest part a resumable write may have, but its last (S3: 5 MiB; embedded: 1). */
  readonly minPartBytes: number;
  /** Begins a resumable write of the new object `key`: BLOB_EXISTS if it exists or another write of it is in progress. */
  startResumable(key: string): Promise<ResumableWrite>;
  /** The unfinished resumable writes of keys under `prefix` (for the sweep: what to abort). */
  listResumable(prefix: string): AsyncIterable<PendingWrite>;
  /** Resolves when the store takes calls; STORAGE_UNAVAILABLE otherwise. */
  ready(): Promise<void>;
  close(): Promise<void>;
}

export const MAX_KEY_LENGTH = 512;
const KEY_CHARS = /^[a-z0-9/._-]*$/;

/**
 * Keys are lower-case ASCII `[a-z0-9/._-]`, segments separated by single slashes, no segment
 * empty or starting with a dot (so no `.`, no `..`, nothing hidden): a key can never name a
 * path outside the store's folder, and both backends accept the same set.
 */
export function assertBlobKey(key: unknown, name = 'key'): asserts key is string {
  if (typeof key !== 'string' || key.length === 0 || key.length > MAX_KEY_LENGTH || !KEY_CHARS.test(key)) {
    throw fail('INVALID_INPUT', `${name} must be 1..${MAX_KEY_LENGTH} characters of [a-z0-9/._-]`);
  }
  for (const segment of key.split('/')) {
    if (segment.length === 0 || segment.startsWith('.'))
      throw fail('INVALID_INPUT', `${name} has an empty segment or one starting with "."`);
  }
}

/** A list prefix: the key alphabet, possibly empty or ending inside a segment or at a slash. */
export function assertBlobPrefix(prefix: unknown): asserts prefix is string {
  if (typeof prefix !== 'string' || prefix.length > MAX_KEY_LENGTH || !KEY_CHARS.test(prefix)) {
    throw fail('INVALID_INPUT', `prefix must be at most ${MAX_KEY_LENGTH} characters of [a-z0-9/._-]`);
  }
  const segments = prefix.split('/');
  // Every complete segment (all but the last, which may be partial or empty) must be a key segment.
  for (const segment of segments.slice(0, -1)) {
    if (segment.length === 0 || segment.startsWith('.'))
      throw fail('INVALID_INPUT', 'prefix has an empty segment or one starting with "."');
  }
  if (segments[segments.length - 1]?.startsWith('.'))
    throw fail('INVALID_INPUT', 'prefix has a segment starting with "."');
}

export function assertBlobRange(range: BlobRange): void {
  const { start, end } = range;
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start) {
    throw fail('INVALID_INPUT', 'range must be integers with 0 <= start <= end');
  }
}
