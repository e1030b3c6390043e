// SPDX-License-Identifier: Apache-2.0
/**
 * Staged uploads between the PUT and the ledger (docs/protocol.md §17, "Record"): the check and
 * claim before a file-upload reaches the ledger, the promotion after its commit, the deletion on
 * a refusal; the re-promotion of a committed descriptor whose object is missing (a gateway that
 * died between the commit and the promotion); and the sweep of what nobody will claim.
 *
 * The claim is durable: before the ledger sees the request, the staged object's leaves are
 * written beside it as `staging/<uploadId>.leaves`. That marker says "a descriptor naming this
 * upload may be committed": the sweep never deletes a staged object that has one, and a read of
 * the descriptor (file-get) promotes from it. A promotion deletes the marker before the staged
 * object, so a crash in between leaves an ordinary unclaimed object, which the sweep removes.
 */
import { Readable } from 'node:stream';
import { LEAF_BYTES, fileLayout, treeRoot } from '@medshare/crypto/chunked-file';
import { toHex } from '@medshare/crypto/bytes';
import { MedshareError, fail, type FileDescriptor } from '@medshare/protocol';
import type { BlobStore } from '../storage/blob-store';
import { digestOfStored, leavesBytes, type ChunkedDigest } from '../storage/staging-writer';
import { stagingKey } from './upload-sessions';

export const fileKey = (root: string): string => `files/${root}`;
export const leavesKey = (root: string): string => `files/${root}.leaves`;
/** The durable claim of a staged upload: its leaves, written before the ledger sees the file-upload. */
export const claimKey = (uploadId: string): string => `staging/${uploadId}.leaves`;

const CLAIM_SUFFIX = '.leaves';
/** Store entries one sweep looks at by default (staged objects and unfinished writes each); the next goes on after them. */
export const SWEEP_BATCH = 1000;
/** Roots known to be stored, so that a file-get costs no store call after the first. */
const KNOWN_ROOTS = 10_000;

export interface StagedUploadsLog {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

interface StagedEntry {
  readonly keyId: string;
  readonly root: string;
  readonly size: number;
  readonly chunkBytes: number;
  readonly leaves: Buffer;
  readonly stagedAt: number;
  /**
   * `claimed` by a file-upload request: promoted after its commit, deleted on its refusal;
   * `unknown` once that request's outcome is: kept in the store, left to a read of the descriptor.
   */
  state: 'staged' | 'claimed' | 'unknown';
}

/** What one sweep did (docs/protocol.md §17; logged by the service). */
export interface SweepReport {
  /** Staged objects deleted: unclaimed and older than the max age. */
  readonly deleted: number;
  /** Unfinished resumable writes aborted (their parts removed): abandoned or expired uploads. */
  readonly aborted: number;
  /** Claims older than the max age whose descriptor nobody has read yet (kept: they may be committed). */
  readonly staleClaims: number;
}

function integrity(message: string): MedshareError {
  return fail('INTEGRITY_FAILED', message);
}

function equalHex(a: Uint8Array, hex: string): boolean {
  return toHex(a) === hex;
}

export class StagedUploads {
  readonly #store: BlobStore;
  readonly #maxAgeMs: number;
  readonly #log: StagedUploadsLog | undefined;
  readonly #staged = new Map<string, StagedEntry>();
  readonly #known = new Set<string>();
  readonly #repromoting = new Map<string, Promise<void>>();
  /** Where the next sweep of the staged objects goes on (after this key); undefined: from the start. */
  #cursor: string | undefined;

  readonly #batch: number;

  constructor(store: BlobStore, options: { maxAgeMs: number; log?: StagedUploadsLog; sweepBatch?: number }) {
    this.#store = store;
    this.#maxAgeMs = options.maxAgeMs;
    this.#log = options.log;
    this.#batch = options.sweepBatch ?? SWEEP_BATCH;
  }

  /** A completed PUT: the object is staged for `keyId`, awaiting its file-upload. */
  add(uploadId: string, keyId: string, digest: ChunkedDigest, now: number): void {
    this.#staged.set(uploadId, {
      keyId,
      root: toHex(digest.root),
      size: digest.size,
      chunkBytes: digest.chunkBytes,
      leaves: leavesBytes(digest.leaves),
      stagedAt: now,
      state: 'staged',
    });
  }

  /**
   * Before the ledger: the upload is staged by this author, unclaimed, with the request's root,
   * size and chunk size (INTEGRITY_FAILED, and a mismatching object is deleted); then the claim
   * is written. A claim that cannot be written refuses the request and leaves the object staged.
   */
  async claim(
    uploadId: string,
    keyId: string,
    body: { root: string; size: number; chunkBytes: number },
  ): Promise<void> {
    const staged = this.#staged.get(uploadId);
    if (!staged || staged.keyId !== keyId) throw integrity(`no upload ${uploadId} of this author is staged`);
    if (staged.state !== 'staged')
      throw integrity(
        `upload ${uploadId} is already claimed by a file-upload request (if its outcome is unknown, see file-list)`,
      );
    if (staged.root !== body.root || staged.size !== body.size || staged.chunkBytes !== body.chunkBytes) {
      this.#staged.delete(uploadId);
      await this.#store.delete(stagingKey(uploadId));
      throw integrity("the staged object's root, size or chunk size is not the request's");
    }
    staged.state = 'claimed';
    try {
      await this.#store.put(claimKey(uploadId), Readable.from([staged.leaves]));
    } catch (error) {
      staged.state = 'staged';
      throw error;
    }
  }

  /**
   * The ledger (or a later check) refused a claimed upload: the claim and the object are
   * deleted. Not when the outcome is unknown (OUTCOME_UNKNOWN: the descriptor may be committed):
   * then both stay, for a read of the descriptor to promote.
   */
  async refused(uploadId: string, keyId: string, error: unknown): Promise<void> {
    const staged = this.#staged.get(uploadId);
    if (!staged || staged.keyId !== keyId || staged.state !== 'claimed') return;
    if (error instanceof MedshareError && error.code === 'OUTCOME_UNKNOWN') {
      staged.state = 'unknown';
      this.#log?.warn(
        { uploadId, root: staged.root },
        'a file-upload has an unknown outcome; its staged object is kept',
      );
      return;
    }
    this.#staged.delete(uploadId);
    await this.#store.delete(claimKey(uploadId));
    await this.#store.delete(stagingKey(uploadId));
  }

  /**
   * Committed: staging → `files/<root>` and its leaves (write-once: an object already there with
   * this root is this one), then the claim, then the staged object are deleted. A failure leaves
   * the claim for a later promotion (logged).
   */
  async promote(uploadId: string): Promise<void> {
    const staged = this.#staged.get(uploadId);
    if (!staged) return;
    // Whatever happens, the store's claim is the record from here on: a read promotes what this did not.
    this.#staged.delete(uploadId);
    try {
      await this.#publish(uploadId, staged.root, staged.leaves, { object: false, leaves: false });
    } catch (error) {
      this.#log?.warn({ err: error, uploadId, root: staged.root }, 'cannot promote a committed upload yet');
    }
  }

  /**
   * A read of a committed descriptor: if its object or leaves are missing (the gateway died
   * between the commit and the promotion), they are promoted from `staging/<uploadId>`, after the
   * staged bytes' leaves (the claim's, else recomputed) are checked against the descriptor's
   * root and size. Never throws: a read answers whatever the store does (logged).
   */
  ensurePromoted(descriptor: Pick<FileDescriptor, 'uploadId' | 'root' | 'size' | 'chunkBytes'>): Promise<void> {
    const { root } = descriptor;
    // A claimed upload is being promoted by its own commit's hook.
    if (this.#known.has(root) || this.#staged.get(descriptor.uploadId)?.state === 'claimed') return Promise.resolve();
    const running = this.#repromoting.get(root);
    if (running) return running;
    const work = this.#repromote(descriptor)
      .catch((error: unknown) =>
        this.#log?.warn({ err: error, uploadId: descriptor.uploadId, root }, 'cannot re-promote a committed upload'),
      )
      .finally(() => this.#repromoting.delete(root));
    this.#repromoting.set(root, work);
    return work;
  }

  async #repromote(d: Pick<FileDescriptor, 'uploadId' | 'root' | 'size' | 'chunkBytes'>): Promise<void> {
    const store = this.#store;
    const [object, leaves] = await Promise.all([store.head(fileKey(d.root)), store.head(leavesKey(d.root))]);
    if (object && leaves) {
      this.#remember(d.root);
      return;
    }
    const source = object ? fileKey(d.root) : stagingKey(d.uploadId);
    const stored = object ?? (await store.head(source));
    if (!stored) {
      this.#log?.warn(
        { uploadId: d.uploadId, root: d.root },
        'a committed file has neither its object nor a staged one',
      );
      return;
    }
    const bytes =
      (await this.#claimedLeaves(d.uploadId)) ??
      leavesBytes((await digestOfStored(store, source, d.chunkBytes)).leaves);
    const layout = fileLayout(d.size, d.chunkBytes);
    const list = Array.from({ length: bytes.length / LEAF_BYTES }, (_, i) =>
      bytes.subarray(i * LEAF_BYTES, (i + 1) * LEAF_BYTES),
    );
    if (stored.size !== d.size || list.length !== layout.chunks || !equalHex(treeRoot(list), d.root)) {
      this.#log?.warn(
        { uploadId: d.uploadId, root: d.root },
        "the staged object is not the committed descriptor's; not promoted",
      );
      return;
    }
    await this.#publish(d.uploadId, d.root, bytes, { object: object !== undefined, leaves: false });
    this.#remember(d.root);
    this.#log?.info({ uploadId: d.uploadId, root: d.root }, 're-promoted a committed upload from staging');
  }

  async #claimedLeaves(uploadId: string): Promise<Buffer | undefined> {
    if (!(await this.#store.head(claimKey(uploadId)))) return undefined;
    const parts: Buffer[] = [];
    for await (const part of await this.#store.get(claimKey(uploadId))) parts.push(part as Buffer);
    return Buffer.concat(parts);
  }

  async #publish(
    uploadId: string,
    root: string,
    leaves: Buffer,
    have: { object: boolean; leaves: boolean },
  ): Promise<void> {
    const store = this.#store;
    if (!have.object) await ignoreExisting(store.copy(stagingKey(uploadId), fileKey(root)));
    if (!have.leaves) await ignoreExisting(store.put(leavesKey(root), Readable.from([leaves])));
    // The claim first: a crash before the staged object's deletion leaves an unclaimed one, which the sweep removes.
    await store.delete(claimKey(uploadId));
    await store.delete(stagingKey(uploadId));
  }

  #remember(root: string): void {
    if (this.#known.size >= KNOWN_ROOTS) this.#known.clear();
    this.#known.add(root);
  }

  /**
   * One bounded sweep at `now`: staged objects in memory that no file-upload claimed within the
   * max age; then, in the store, at most SWEEP_BATCH staged objects (going on where the last sweep
   * stopped) — deleted when older than the max age, unless this gateway holds them or a claim
   * marks them — and at most SWEEP_BATCH unfinished resumable writes, aborted when older than the
   * max age and not in progress here (`inProgress`).
   */
  async sweep(now: number, inProgress: (key: string) => boolean): Promise<SweepReport> {
    let deleted = 0;
    for (const [uploadId, staged] of [...this.#staged]) {
      if (staged.state === 'claimed' || now - staged.stagedAt < this.#maxAgeMs) continue;
      this.#staged.delete(uploadId);
      // An unknown outcome's claim stays in the store (the store sweep keeps it); only the memory goes.
      if (staged.state === 'unknown') continue;
      await this.#store.delete(stagingKey(uploadId));
      deleted++;
    }
    const objects = await this.#sweepObjects(now);
    let aborted = 0;
    let seen = 0;
    for await (const pending of this.#store.listResumable('staging/')) {
      if (++seen > this.#batch) break;
      if (inProgress(pending.key) || now - pending.touchedAt <= this.#maxAgeMs) continue;
      await pending.abort();
      aborted++;
    }
    return { deleted: deleted + objects.deleted, aborted, staleClaims: objects.staleClaims };
  }

  async #sweepObjects(now: number): Promise<{ deleted: number; staleClaims: number }> {
    let deleted = 0;
    let staleClaims = 0;
    let seen = 0;
    let finished = true;
    const listing = this.#store.list('staging/', this.#cursor === undefined ? {} : { startAfter: this.#cursor });
    for await (const entry of listing) {
      if (++seen > this.#batch) {
        finished = false;
        break;
      }
      this.#cursor = entry.key;
      if (now - entry.modifiedAt <= this.#maxAgeMs) continue;
      const uploadId = entry.key.slice('staging/'.length).replace(CLAIM_SUFFIX, '');
      if (this.#staged.has(uploadId)) continue;
      if (entry.key.endsWith(CLAIM_SUFFIX)) {
        // A claim is kept while its staged object is: the descriptor may be committed.
        if (await this.#store.head(stagingKey(uploadId))) staleClaims++;
        else await this.#store.delete(entry.key);
        continue;
      }
      if (await this.#store.head(claimKey(uploadId))) continue;
      await this.#store.delete(entry.key);
      deleted++;
    }
    if (finished) this.#cursor = undefined;
    return { deleted, staleClaims };
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
