// SPDX-License-Identifier: Apache-2.0
/**
 * Large files through the access layer (docs/protocol.md §17 "Through the gateway"): begun
 * uploads and their one-use tokens, the streamed staging of a ciphertext, the checks and the
 * promotion around the file-upload transaction, the proxies around file-fragments, and the
 * download token a committed file-view earns. Only this module writes to the object store.
 */
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { toHex } from '@medshare/crypto/bytes';
import {
  MedshareError,
  PROTOCOL_VERSION,
  accessLayerRequestHash,
  fail,
  parseFileUploadBeginEnvelope,
  parseResult,
  type FileUploadBody,
  type JsonValue,
  type SealedMessage,
  type StagedUpload,
  type UploadGrant,
} from '@medshare/protocol';
import type { AccessLayer, HookContext, OperationHooks } from '../pipeline/access-layer';
import type { ProxyPool } from '../proxy/proxy-pool';
import type { BlobRange, BlobStore } from '../storage/blob-store';
import { leavesBytes, stageUpload } from '../storage/staging-writer';
import { FileTokens } from './file-tokens';

/** An upload token lives 15 minutes and opens one PUT. */
export const UPLOAD_TOKEN_TTL_MS = 15 * 60_000;
/** A download token lives 10 minutes (the ledger's access ticket lifetime) and may be used again (resume). */
export const DOWNLOAD_TOKEN_TTL_MS = 10 * 60_000;
/** Staged objects no file-upload claimed are deleted after an hour. */
export const STAGING_TTL_MS = 60 * 60_000;

interface UploadState {
  readonly uploadId: string;
  readonly keyId: string;
  readonly appId: string;
  readonly size: number;
  readonly chunkBytes: number;
  readonly expiresAt: number;
}

interface StagedState {
  readonly keyId: string;
  readonly root: string;
  readonly size: number;
  readonly chunkBytes: number;
  readonly leaves: Buffer;
  readonly stagedAt: number;
  claimed: boolean;
}

interface DownloadState {
  readonly keyId: string;
  readonly appId: string;
  readonly fileId: string;
  readonly accessId: string;
  readonly root: string;
  readonly size: number;
  readonly expiresAt: number;
}

export interface FileServiceLog {
  warn(fields: object, message: string): void;
}

export interface FileServiceOptions {
  readonly store: BlobStore;
  readonly accessLayer: AccessLayer;
  readonly proxies: ProxyPool;
  /** Largest upload body (config.limits.fileBytes). */
  readonly maxFileBytes: number;
  readonly clock?: () => number;
  readonly log?: FileServiceLog;
}

/** A stored object to stream: the whole object or a byte range of it. */
export interface Download {
  readonly stream: Readable;
  /** The object's size. */
  readonly total: number;
  /** The range sent (end exclusive); the whole object when no range was asked. */
  readonly start: number;
  readonly end: number;
}

const stagingKey = (uploadId: string): string => `staging/${uploadId}`;
const fileKey = (root: string): string => `files/${root}`;
const leavesKey = (root: string): string => `files/${root}.leaves`;

function integrity(message: string): MedshareError {
  return fail('INTEGRITY_FAILED', message);
}

export class FileService {
  readonly #options: FileServiceOptions;
  readonly #clock: () => number;
  readonly #uploads = new FileTokens<UploadState>();
  readonly #downloads = new FileTokens<DownloadState>();
  readonly #staged = new Map<string, StagedState>();

  constructor(options: FileServiceOptions) {
    this.#options = options;
    this.#clock = options.clock ?? Date.now;
  }

  get maxFileBytes(): number {
    return this.#options.maxFileBytes;
  }

  /** file-upload-begin: a sealed request signed by a registered patient → an upload grant. No transaction. */
  async begin(body: SealedMessage, sourceAddress: string): Promise<SealedMessage> {
    const { accessLayer } = this.#options;
    const { session, request, user } = await accessLayer.openLocalRequest(
      body,
      sourceAddress,
      parseFileUploadBeginEnvelope,
    );
    if (user.role !== 'patient')
      throw fail('NOT_REGISTERED_PATIENT', 'the author of a file upload must be a registered patient');
    if (request.body.size > this.#options.maxFileBytes)
      throw fail('PAYLOAD_TOO_LARGE', `this gateway takes files of at most ${this.#options.maxFileBytes} bytes`);
    const now = this.#clock();
    await this.sweep(now);
    const uploadId = randomBytes(32).toString('hex');
    const expiresAt = now + UPLOAD_TOKEN_TTL_MS;
    const uploadToken = this.#uploads.issue(
      { uploadId, keyId: request.keyId, appId: session.appId, ...request.body, expiresAt },
      now,
    );
    const grant: UploadGrant = {
      v: PROTOCOL_VERSION,
      requestHash: accessLayerRequestHash(request),
      uploadId,
      uploadToken,
      expiresAt,
    };
    return accessLayer.sealAnswer(session, grant);
  }

  /**
   * The PUT: streams `body` into `staging/<uploadId>` computing its §16 leaves (one chunk in
   * memory). The token is spent whatever happens. A body of another size than the one begun is
   * INTEGRITY_FAILED; every refusal leaves nothing staged.
   */
  async stage(
    uploadId: string,
    token: string | undefined,
    sourceAddress: string,
    body: Readable,
    contentLength: number | undefined,
  ): Promise<StagedUpload> {
    const now = this.#clock();
    let state: UploadState;
    try {
      state = this.#uploads.take(token, now);
      if (state.uploadId !== uploadId) throw fail('FILE_TOKEN_INVALID', 'the upload token is for another upload');
      this.#options.accessLayer.assertSource(state.appId, sourceAddress);
      if (contentLength !== undefined && contentLength !== state.size)
        throw integrity(`the body is ${contentLength} bytes; the upload was begun for ${state.size}`);
    } catch (error) {
      body.resume();
      throw error;
    }
    const key = stagingKey(uploadId);
    let digest;
    try {
      digest = await stageUpload(this.#options.store, key, body, {
        chunkBytes: state.chunkBytes,
        maxBytes: state.size,
      });
    } catch (error) {
      if (error instanceof MedshareError && error.code === 'PAYLOAD_TOO_LARGE')
        throw integrity(`the body is longer than the ${state.size} bytes the upload was begun for`);
      throw error;
    }
    if (digest.size !== state.size) {
      await this.#options.store.delete(key);
      throw integrity(`the body is ${digest.size} bytes; the upload was begun for ${state.size}`);
    }
    const root = toHex(digest.root);
    this.#staged.set(uploadId, {
      keyId: state.keyId,
      root,
      size: digest.size,
      chunkBytes: digest.chunkBytes,
      leaves: leavesBytes(digest.leaves),
      stagedAt: now,
      claimed: false,
    });
    return { size: digest.size, root, chunks: digest.chunks };
  }

  /** The access layer's hooks for the file operations. */
  hooks(): OperationHooks {
    return {
      'file-upload': {
        before: (c) => this.#checkStaged(c),
        refused: (c) => this.#dropStaged(c),
        after: async (c) => {
          await this.#promote(c);
          return undefined;
        },
      },
      'file-fragments': {
        after: async (_c, result) =>
          (await this.#options.proxies.serveShare(parseResult('file-fragments', result))) as unknown as JsonValue,
      },
      'file-view': {
        after: (c, result) => Promise.resolve(this.#issueDownload(c, result)),
      },
    };
  }

  /** A stored object of a committed view's file: `leaves` or `content`, whole or a range. */
  async download(
    fileId: string,
    token: string | undefined,
    sourceAddress: string,
    what: 'leaves' | 'content',
    range: { start: number; end?: number } | undefined,
  ): Promise<Download> {
    const state = this.#downloads.resolve(token, this.#clock());
    if (state.fileId !== fileId) throw fail('FILE_TOKEN_INVALID', 'the download token is for another file');
    this.#options.accessLayer.assertSource(state.appId, sourceAddress);
    const key = what === 'leaves' ? leavesKey(state.root) : fileKey(state.root);
    const head = await this.#options.store.head(key);
    if (!head) throw fail('BLOB_NOT_FOUND', `the stored ${what} of file ${fileId} are missing`);
    const start = range?.start ?? 0;
    const end = Math.min(range?.end ?? head.size, head.size);
    if (start > end || (range && start >= head.size && head.size > 0))
      throw fail('INVALID_INPUT', `range ${start}- is outside the ${head.size}-byte object`);
    const blobRange: BlobRange = { start, end };
    return { stream: await this.#options.store.get(key, blobRange), total: head.size, start, end };
  }

  /** Deletes staged objects no file-upload claimed within STAGING_TTL_MS (memory and store). */
  async sweep(now = this.#clock()): Promise<void> {
    for (const [uploadId, staged] of this.#staged) {
      if (staged.claimed || now - staged.stagedAt < STAGING_TTL_MS) continue;
      this.#staged.delete(uploadId);
      await this.#options.store.delete(stagingKey(uploadId));
    }
  }

  #checkStaged({ request }: HookContext): Promise<void> {
    const body = request.body as FileUploadBody;
    const staged = this.#staged.get(body.uploadId);
    if (!staged || staged.keyId !== request.keyId || staged.claimed)
      return Promise.reject(integrity(`no upload ${body.uploadId} of this author is staged`));
    if (staged.root !== body.root || staged.size !== body.size || staged.chunkBytes !== body.chunkBytes) {
      this.#staged.delete(body.uploadId);
      return this.#options.store.delete(stagingKey(body.uploadId)).then(() => {
        throw integrity("the staged object's root, size or chunk size is not the request's");
      });
    }
    staged.claimed = true;
    return Promise.resolve();
  }

  async #dropStaged({ request }: HookContext): Promise<void> {
    const { uploadId } = request.body as FileUploadBody;
    const staged = this.#staged.get(uploadId);
    if (!staged || staged.keyId !== request.keyId) return;
    this.#staged.delete(uploadId);
    await this.#options.store.delete(stagingKey(uploadId));
  }

  /** Committed: staging → files/<root> and its leaves (write-once: an object already there with this root is this one). */
  async #promote({ request }: HookContext): Promise<void> {
    const { uploadId } = request.body as FileUploadBody;
    const staged = this.#staged.get(uploadId);
    if (!staged) return;
    const { store } = this.#options;
    try {
      await ignoreExisting(store.copy(stagingKey(uploadId), fileKey(staged.root)));
      await ignoreExisting(store.put(leavesKey(staged.root), Readable.from([staged.leaves])));
      this.#staged.delete(uploadId);
      await store.delete(stagingKey(uploadId));
    } catch (error) {
      // The descriptor is committed; the staged object stays (it names the uploadId) for a later promotion.
      this.#options.log?.warn({ err: error, uploadId, root: staged.root }, 'cannot promote a committed upload yet');
    }
  }

  #issueDownload({ appId, request }: HookContext, result: unknown): JsonValue {
    const view = parseResult('file-view', result);
    const now = this.#clock();
    const expiresAt = now + DOWNLOAD_TOKEN_TTL_MS;
    const downloadToken = this.#downloads.issue(
      {
        keyId: request.keyId,
        appId,
        fileId: view.fileId,
        accessId: view.accessId,
        root: view.root,
        size: view.size,
        expiresAt,
      },
      now,
    );
    return { downloadToken, expiresAt };
  }
}

async function ignoreExisting(write: Promise<unknown>): Promise<void> {
  try {
    await write;
  } catch (error) {
    // Content-addressed: an object already stored under this root holds these very bytes.
    if (!(error instanceof MedshareError && error.code === 'BLOB_EXISTS')) throw error;
  }
}
