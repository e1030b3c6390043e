// SPDX-License-Identifier: Apache-2.0
/**
 * Large files through the access layer (docs/protocol.md §17 "Through the gateway"): begun
 * uploads and their one-use tokens, the streamed staging of a ciphertext, the checks and the
 * promotion around the file-upload transaction, the proxies around file-fragments, and the
 * download token a committed file-view earns. Only this module writes to the object store.
 */
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { toHex } from '@medshare/crypto/bytes';
import {
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
  type UploadState,
} from '@medshare/protocol';
import type { AccessLayer, HookContext, OperationHooks } from '../pipeline/access-layer';
import type { ProxyPool } from '../proxy/proxy-pool';
import type { BlobRange, BlobStore } from '../storage/blob-store';
import { FileTokens } from './file-tokens';
import { StagedUploads, fileKey, leavesKey, type SweepReport } from './staged-uploads';
import { UploadSessions, type UploadStatus } from './upload-sessions';

/** An upload token lives 15 minutes and opens that upload's PUTs and GETs until it is staged. */
export const UPLOAD_TOKEN_TTL_MS = 15 * 60_000;
/** A download token lives 10 minutes (the ledger's access ticket lifetime) and may be used again (resume). */
export const DOWNLOAD_TOKEN_TTL_MS = 10 * 60_000;
/** Default of config.limits.stagingMaxAgeMs: staged objects and unfinished parts nobody claimed are deleted after an hour. */
export const STAGING_MAX_AGE_MS = 60 * 60_000;

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
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

export interface FileServiceOptions {
  readonly store: BlobStore;
  readonly accessLayer: AccessLayer;
  readonly proxies: ProxyPool;
  /** Largest upload body (config.limits.fileBytes). */
  readonly maxFileBytes: number;
  /** Staged objects and unfinished parts older than this, unclaimed, are swept (config.limits.stagingMaxAgeMs). */
  readonly stagingMaxAgeMs?: number;
  /** Store entries one sweep looks at, of each kind (default SWEEP_BATCH); the next sweep goes on after them. */
  readonly sweepBatch?: number;
  /** The staging part size to aim at (default 8 MiB; see stagingPartBytes): smaller in tests. */
  readonly targetPartBytes?: number;
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

function stateOf(status: UploadStatus): UploadState {
  const { staged, ...rest } = status;
  return staged ? { ...rest, staged: { size: staged.size, root: toHex(staged.root), chunks: staged.chunks } } : rest;
}

export class FileService {
  readonly #options: FileServiceOptions;
  readonly #clock: () => number;
  readonly #uploads: UploadSessions;
  readonly #staged: StagedUploads;
  readonly #downloads = new FileTokens<DownloadState>();
  readonly stagingMaxAgeMs: number;
  #sweeping: Promise<SweepReport> | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: FileServiceOptions) {
    this.#options = options;
    this.#clock = options.clock ?? Date.now;
    this.stagingMaxAgeMs = options.stagingMaxAgeMs ?? STAGING_MAX_AGE_MS;
    this.#uploads = new UploadSessions(options.store, options.targetPartBytes);
    this.#staged = new StagedUploads(options.store, {
      maxAgeMs: this.stagingMaxAgeMs,
      ...(options.log ? { log: options.log } : {}),
      ...(options.sweepBatch ? { sweepBatch: options.sweepBatch } : {}),
    });
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
    const uploadId = randomBytes(32).toString('hex');
    const expiresAt = now + UPLOAD_TOKEN_TTL_MS;
    const uploadToken = this.#uploads.open(
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
   * A PUT: streams `body`, bytes `offset`.. of the upload, into `staging/<uploadId>` computing
   * its §16 leaves (a chunk at a time). Resolves with the digest once the last byte is stored. A
   * body cut off keeps the parts stored durably (the upload resumes from GET's offset); a body of
   * other bytes than begun (longer, shorter, another Content-Length) is INTEGRITY_FAILED and ends
   * the upload, its parts removed; an offset other than the stored one is UPLOAD_OFFSET_MISMATCH.
   */
  async stage(
    uploadId: string,
    token: string | undefined,
    sourceAddress: string,
    body: Readable,
    put: { readonly contentLength: number | undefined; readonly offset: number },
  ): Promise<StagedUpload> {
    const now = this.#clock();
    let session;
    try {
      session = this.#uploads.resolve(uploadId, token, now);
      this.#options.accessLayer.assertSource(session.appId, sourceAddress);
    } catch (error) {
      body.resume();
      throw error;
    }
    const digest = await this.#uploads.append(session, body, put);
    this.#staged.add(uploadId, session.keyId, digest, now);
    return { size: digest.size, root: toHex(digest.root), chunks: digest.chunks };
  }

  /** GET of an upload: the offset the gateway has stored durably (where to resume), and the digest once staged. */
  async uploadState(uploadId: string, token: string | undefined, sourceAddress: string): Promise<UploadState> {
    const session = this.#uploads.resolve(uploadId, token, this.#clock());
    this.#options.accessLayer.assertSource(session.appId, sourceAddress);
    return stateOf(await this.#uploads.status(session));
  }

  /** The access layer's hooks for the file operations. */
  hooks(): OperationHooks {
    return {
      'file-upload': {
        before: async ({ request }) => {
          const body = request.body as FileUploadBody;
          await this.#staged.claim(body.uploadId, request.keyId, body);
          this.#uploads.forget(body.uploadId);
        },
        refused: ({ request }: HookContext, error) =>
          this.#staged.refused((request.body as FileUploadBody).uploadId, request.keyId, error),
        after: async ({ request }) => {
          await this.#staged.promote((request.body as FileUploadBody).uploadId);
          return undefined;
        },
      },
      'file-get': {
        after: async (_c, result) => {
          await this.#staged.ensurePromoted(parseResult('file-get', result));
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

  /**
   * One bounded sweep (docs/protocol.md §17, "Sweep"): expired uploads no PUT is running for are
   * ended (parts removed); staged objects and unfinished parts older than stagingMaxAgeMs are
   * deleted, except an upload in progress here and a staged object a claim marks (its descriptor
   * may be committed and awaits promotion). One sweep at a time; a second call shares it.
   */
  sweep(now = this.#clock()): Promise<SweepReport> {
    this.#sweeping ??= this.#sweepOnce(now).finally(() => (this.#sweeping = undefined));
    return this.#sweeping;
  }

  async #sweepOnce(now: number): Promise<SweepReport> {
    const ended = await this.#uploads.sweep(now);
    const report = await this.#staged.sweep(now, (key) => this.#uploads.inProgress(key));
    const { log } = this.#options;
    if (ended + report.deleted + report.aborted > 0)
      log?.info({ ended, ...report }, 'swept expired uploads and stale staged objects');
    if (report.staleClaims > 0)
      log?.warn(
        { staleClaims: report.staleClaims },
        'staged uploads claimed by a file-upload of unknown outcome are kept until their descriptor is read',
      );
    return { ...report, aborted: report.aborted + ended };
  }

  /** Sweeps now, then every quarter of stagingMaxAgeMs (at least every 10 minutes) until close(). */
  startSweeps(): void {
    if (this.#timer) return;
    const every = Math.min(Math.max(Math.floor(this.stagingMaxAgeMs / 4), 1000), 10 * 60_000);
    const run = (): void => {
      this.sweep().catch((error: unknown) => this.#options.log?.warn({ err: error }, 'the staging sweep failed'));
    };
    // Once at start too: what a crashed process left is older than its uptime.
    run();
    this.#timer = setInterval(run, every);
    this.#timer.unref();
  }

  /** Stops the sweeps and waits for one running. */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#sweeping?.catch(() => undefined);
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
