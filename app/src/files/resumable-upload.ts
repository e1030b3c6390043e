// SPDX-License-Identifier: Apache-2.0
/**
 * The SDK's side of a resumable upload (docs/protocol.md §17, "Stream"): the encrypted file is
 * PUT to the gateway; when the connection drops, the SDK asks the gateway (GET) how much it
 * stored durably and PUTs the rest from there, re-encrypting from that chunk on (the chunk key
 * stream is positional: §16 chunk i's IV is i). Bounded attempts with a growing pause between
 * them; the gateway's root must be the one of the leaves computed here, across every attempt.
 */
import { Transform, Writable, type Readable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import { toHex } from '@medshare/crypto/bytes';
import { fileLayout, treeRoot } from '@medshare/crypto/chunked-file';
import {
  MedshareError,
  fail,
  parseStagedUpload,
  parseUploadState,
  type StagedUpload,
  type UploadGrant,
  type UploadState,
} from '@medshare/protocol';
import type { Transport } from '../client/transport';
import { encryptFileStream } from './file-streams';

/** Failures after which the upload is asked for its offset and continued: nothing was refused. */
const RESUMABLE_CODES: ReadonlySet<string> = new Set([
  'LEDGER_UNAVAILABLE', // no answer: the connection failed or dropped
  'OUTCOME_UNKNOWN', // the upload stalled
  'STORAGE_UNAVAILABLE',
  'UPLOAD_OFFSET_MISMATCH',
  'RATE_LIMITED',
  'GATEWAY_BUSY',
]);

export interface ResumeEvent {
  /** Bytes the gateway had stored: this attempt sends the rest. */
  readonly offset: number;
  /** The attempt this is (2 for the first resume). */
  readonly attempt: number;
}

export interface ResumableUploadOptions {
  readonly chunkBytes: number;
  readonly size: number;
  /** Bytes the gateway has taken so far (counting from the resumed offset on a resume). */
  readonly onProgress?: (bytes: number) => void;
  readonly onResume?: (event: ResumeEvent) => void;
  /** Attempts in all (default 5), and the pause before attempt n + 1: n × delayMs (default 1000). */
  readonly attempts?: number;
  readonly delayMs?: number;
  readonly sleep: (ms: number) => Promise<void>;
}

type Upload = NonNullable<Transport['upload']>;

/** GET of an upload's state: the offset to resume at, and its digest once staged. */
export async function uploadState(transport: Transport, grant: UploadGrant): Promise<UploadState> {
  return parseUploadState(
    await transport.get(`/v1/files/uploads/${grant.uploadId}`, { authorization: `Bearer ${grant.uploadToken}` }),
  );
}

/** Drops the first `bytes` bytes of a stream (a resume re-encrypts from a chunk before its offset). */
function skipping(bytes: number): Transform {
  let left = bytes;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      if (left >= chunk.length) {
        left -= chunk.length;
        callback();
        return;
      }
      const rest = left > 0 ? chunk.subarray(left) : chunk;
      left = 0;
      callback(null, rest);
    },
  });
}

/** Counts the bytes passing through. */
function counting(start: number, onProgress?: (bytes: number) => void): Transform {
  let bytes = start;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      bytes += chunk.length;
      onProgress?.(bytes);
      callback(null, chunk);
    },
  });
}

/**
 * Uploads the file at `path` under `keys` to the begun upload `grant`, resuming after a dropped
 * connection; resolves with the gateway's digest once it matches the leaves computed here.
 */
export async function uploadResumably(
  transport: Transport,
  grant: UploadGrant,
  path: string,
  key: Uint8Array,
  options: ResumableUploadOptions,
): Promise<StagedUpload> {
  const upload = transport.upload?.bind(transport);
  if (!upload) throw fail('INTERNAL', 'this transport cannot upload files');
  const attempts = options.attempts ?? 5;
  const delayMs = options.delayMs ?? 1000;
  // leaf_i by chunk index, filled across attempts: a resume re-encrypts only what it sends (and a chunk or two before).
  const leaves: Uint8Array[] = [];
  for (let attempt = 1; ; attempt++) {
    try {
      let offset = 0;
      if (attempt > 1) {
        const state = await uploadState(transport, grant);
        if (state.staged) return await checked(state.staged, path, key, leaves, options);
        offset = state.offset;
        options.onResume?.({ offset, attempt });
      }
      return await checked(await send(upload, grant, path, key, leaves, offset, options), path, key, leaves, options);
    } catch (error) {
      const resumable = error instanceof MedshareError && RESUMABLE_CODES.has(error.code);
      if (!resumable || attempt >= attempts) throw error;
      await options.sleep(delayMs * attempt);
    }
  }
}

/** One PUT from `offset` on: the file encrypted from the first chunk whose leaf is missing, the bytes before `offset` dropped. */
async function send(
  upload: Upload,
  grant: UploadGrant,
  path: string,
  key: Uint8Array,
  leaves: Uint8Array[],
  offset: number,
  options: ResumableUploadOptions,
): Promise<StagedUpload> {
  const { chunkBytes, size } = options;
  const resumeChunk = Math.floor(offset / chunkBytes);
  let first = 0;
  while (first < resumeChunk && leaves[first]) first++;
  const { stream } = encryptFileStream(path, { key, chunkBytes, firstChunk: first, leaves });
  // A failure of the file or the encryption is ours, not the connection's: it is not retried.
  let local: Error | undefined;
  const body: Readable = stream.pipe(skipping(offset - first * chunkBytes)).pipe(counting(offset, options.onProgress));
  stream.once('error', (error) => {
    local = error;
    body.destroy(error);
  });
  try {
    const staged = parseStagedUpload(
      await upload(`/v1/files/uploads/${grant.uploadId}`, body, size - offset, {
        authorization: `Bearer ${grant.uploadToken}`,
        'upload-offset': String(offset),
      }),
    );
    // The last leaves are computed as the stream ends, which may be just after the gateway answered.
    await finished(stream);
    return staged;
  } catch (error) {
    stream.destroy();
    throw local ?? error;
  }
}

/** The gateway's digest against the leaves computed here (those an attempt did not finish are computed again). */
async function checked(
  staged: StagedUpload,
  path: string,
  key: Uint8Array,
  leaves: Uint8Array[],
  options: ResumableUploadOptions,
): Promise<StagedUpload> {
  const { chunks } = fileLayout(options.size, options.chunkBytes);
  let first = 0;
  while (first < chunks && leaves[first]) first++;
  if (first < chunks) {
    const { stream } = encryptFileStream(path, { key, chunkBytes: options.chunkBytes, firstChunk: first, leaves });
    await pipeline(stream, new Writable({ write: (_chunk, _encoding, done) => done() }));
  }
  if (staged.size !== options.size || staged.root !== toHex(treeRoot(leaves.slice(0, chunks))))
    throw fail('INTEGRITY_FAILED', 'the gateway stored other bytes than were sent');
  return staged;
}
