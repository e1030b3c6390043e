// SPDX-License-Identifier: Apache-2.0
/**
 * Begun large-file uploads (docs/protocol.md §17, "Begin" and "Stream"): the upload token, bound
 * to the app, the author, the size and the chunk size, and the resumable staging it writes to.
 * The token opens the upload's PUTs and GETs until it is staged and claimed, or expires; a
 * dropped connection keeps what was stored durably, and the next PUT continues from there.
 */
import type { Readable } from 'node:stream';
import { MedshareError, fail } from '@medshare/protocol';
import type { BlobStore } from '../storage/blob-store';
import { ResumableStaging, endsUpload, type ChunkedDigest } from '../storage/staging-writer';
import { FileTokens } from './file-tokens';

export interface UploadGrantState {
  readonly uploadId: string;
  readonly keyId: string;
  readonly appId: string;
  readonly size: number;
  readonly chunkBytes: number;
  readonly expiresAt: number;
}

export interface UploadSession extends UploadGrantState {
  readonly staging: ResumableStaging;
}

/** What GET /v1/files/uploads/:uploadId answers (§17): the committed offset, and the digest once staged. */
export interface UploadStatus {
  readonly uploadId: string;
  readonly size: number;
  readonly chunkBytes: number;
  readonly offset: number;
  readonly expiresAt: number;
  readonly staged?: { readonly size: number; readonly root: Uint8Array; readonly chunks: number };
}

export const stagingKey = (uploadId: string): string => `staging/${uploadId}`;

export class UploadSessions {
  readonly #store: BlobStore;
  readonly #tokens = new FileTokens<UploadSession>();
  /** By uploadId, with the token that opens it. */
  readonly #sessions = new Map<string, { readonly session: UploadSession; readonly token: string }>();
  /** PUTs running (or starting) per upload. */
  readonly #busy = new Map<string, number>();

  readonly #targetPartBytes: number | undefined;

  constructor(store: BlobStore, targetPartBytes?: number) {
    this.#store = store;
    this.#targetPartBytes = targetPartBytes;
  }

  /** A new upload and its token. */
  open(grant: UploadGrantState, now: number): string {
    const options = this.#targetPartBytes === undefined ? {} : { targetPartBytes: this.#targetPartBytes };
    const staging = new ResumableStaging(this.#store, stagingKey(grant.uploadId), grant, options);
    const session = { ...grant, staging };
    const token = this.#tokens.issue(session, now);
    this.#sessions.set(grant.uploadId, { session, token });
    return token;
  }

  /**
   * The upload `token` opens, checked to be `uploadId`'s and from an address its app allows
   * (`assertSource`). FILE_TOKEN_INVALID for a token unknown, expired, claimed or another upload's.
   */
  resolve(uploadId: string, token: string | undefined, now: number): UploadSession {
    const session = this.#tokens.resolve(token, now);
    if (session.uploadId !== uploadId) throw fail('FILE_TOKEN_INVALID', 'the upload token is for another upload');
    return session;
  }

  /**
   * Streams `body` (bytes `offset`.. of the upload) into its staging, after a PUT of it still
   * running has given way. A refusal that ends the upload (INTEGRITY_FAILED: other bytes than
   * begun) removes its parts and its token; any other failure keeps what was stored.
   */
  async append(
    session: UploadSession,
    body: Readable,
    put: { readonly offset: number; readonly contentLength: number | undefined },
  ): Promise<ChunkedDigest> {
    // Busy from the first moment, so that a sweep in between never ends an upload a PUT is starting.
    this.#busy.set(session.uploadId, (this.#busy.get(session.uploadId) ?? 0) + 1);
    const { staging } = session;
    try {
      await staging.interrupt();
      // A length is judged from where the stored bytes end; at another offset, append() refuses first.
      const rest = session.size - put.offset;
      if (
        put.offset === staging.committed &&
        !staging.digest &&
        put.contentLength !== undefined &&
        put.contentLength !== rest
      ) {
        body.resume();
        throw fail(
          'INTEGRITY_FAILED',
          `the body is ${put.contentLength} bytes from offset ${put.offset}; the upload was begun for ${session.size}`,
        );
      }
      return await staging.append(body, put.offset);
    } catch (error) {
      if (endsUpload(error)) await this.end(session.uploadId);
      // The body's own failure (a connection reset or aborted): what was stored stays, to resume.
      if (!(error instanceof MedshareError))
        throw fail(
          'INVALID_INPUT',
          'the upload ended before its last byte; GET the upload for the offset to resume at',
          error,
        );
      throw error;
    } finally {
      const left = (this.#busy.get(session.uploadId) ?? 1) - 1;
      if (left > 0) this.#busy.set(session.uploadId, left);
      else this.#busy.delete(session.uploadId);
    }
  }

  /** The committed offset, once a PUT still running has given way (the client asking has given up on it). */
  async status(session: UploadSession): Promise<UploadStatus> {
    await session.staging.interrupt();
    const digest = session.staging.digest;
    return {
      uploadId: session.uploadId,
      size: session.size,
      chunkBytes: session.chunkBytes,
      offset: session.staging.committed,
      expiresAt: session.expiresAt,
      ...(digest ? { staged: { size: digest.size, root: digest.root, chunks: digest.chunks } } : {}),
    };
  }

  /** Forgets a staged upload's token (file-upload claimed it): its object is the staged uploads' now. */
  forget(uploadId: string): void {
    const entry = this.#sessions.get(uploadId);
    if (!entry) return;
    this.#sessions.delete(uploadId);
    this.#tokens.revoke(entry.token);
  }

  /** Ends an upload: its token forgotten, its parts removed (a completed object stays). */
  async end(uploadId: string): Promise<void> {
    const entry = this.#sessions.get(uploadId);
    if (!entry) return;
    this.forget(uploadId);
    await entry.session.staging.abort();
  }

  /** Whether this gateway has the upload of `key` (a staging key) in progress: the sweep leaves it. */
  inProgress(key: string): boolean {
    return key.startsWith('staging/') && this.#sessions.has(key.slice('staging/'.length));
  }

  /** Ends the expired uploads no PUT is running for; a staged one only loses its token. */
  async sweep(now: number): Promise<number> {
    let ended = 0;
    for (const { session } of [...this.#sessions.values()]) {
      if (session.expiresAt > now || session.staging.active || this.#busy.has(session.uploadId)) continue;
      if (session.staging.digest) this.forget(session.uploadId);
      else {
        await this.end(session.uploadId);
        ended++;
      }
    }
    this.#tokens.sweep(now);
    return ended;
  }
}
