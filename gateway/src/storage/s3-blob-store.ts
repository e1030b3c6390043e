// SPDX-License-Identifier: Apache-2.0
import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  UploadPartCopyCommand,
  type CompletedPart,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { MedshareError, fail } from '@medshare/protocol';
import {
  assertBlobKey,
  assertBlobPrefix,
  assertBlobRange,
  type BlobListing,
  type BlobPart,
  type BlobRange,
  type BlobStore,
  type ListOptions,
  type PendingWrite,
  type ResumableWrite,
} from './blob-store';

export interface S3BlobStoreOptions {
  readonly endpoint: string;
  readonly region: string;
  readonly bucket: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** Multipart part size of put (S3's minimum is 5 MiB); memory held per put is partBytes × (queueSize + 1). */
  readonly partBytes?: number;
  /** Parts uploaded in parallel by one put. */
  readonly queueSize?: number;
  /** Objects larger than this are copied part by part (S3 copies at most 5 GiB in one call). */
  readonly copyPartBytes?: number;
  /** Socket idle deadline of one S3 call. */
  readonly requestTimeoutMs?: number;
}

export const DEFAULT_PART_BYTES = 8 * 1024 * 1024;
/** S3's smallest part of a multipart upload, but its last. */
export const S3_MIN_PART_BYTES = 5 * 1024 * 1024;
const DEFAULT_COPY_PART_BYTES = 1024 * 1024 * 1024;

interface S3ErrorShape {
  readonly name?: string;
  readonly $metadata?: { readonly httpStatusCode?: number };
}

function s3Status(error: unknown): { name: string; status: number | undefined } {
  const e = (typeof error === 'object' && error !== null ? error : {}) as S3ErrorShape;
  return { name: typeof e.name === 'string' ? e.name : 'Error', status: e.$metadata?.httpStatusCode };
}

/**
 * An S3 failure as a coded error. NoSuchBucket is a 404 too, but it is the deployment that is
 * broken, not the object that is missing. The message names the S3 error, never the endpoint.
 */
function s3Failure(error: unknown, key: string): MedshareError {
  if (error instanceof MedshareError) return error;
  const { name, status } = s3Status(error);
  if (name !== 'NoSuchBucket' && (name === 'NoSuchKey' || name === 'NotFound' || status === 404))
    return fail('BLOB_NOT_FOUND', `no object ${key}`, error);
  // 412: IfNoneMatch '*' found the key (SeaweedFS, AWS, MinIO); 409: a concurrent conditional write of it.
  if (status === 412 || name === 'PreconditionFailed' || name === 'ConditionalRequestConflict')
    return fail('BLOB_EXISTS', `object ${key} already exists`, error);
  return fail(
    'STORAGE_UNAVAILABLE',
    `object storage could not take the call on ${key} (${name}${status === undefined ? '' : ` ${status}`})`,
    error,
  );
}

/**
 * The S3 backend (MinIO, Ceph RGW, SeaweedFS, AWS S3), path-style. Write-once in two steps: a
 * HEAD refuses a put of an existing key before the body is read, and `If-None-Match: *` on the
 * PutObject / CompleteMultipartUpload / CopyObject makes the server refuse a key created
 * meanwhile (SeaweedFS answers 412, checked by the e2e contract test). Bodies stream through
 * @aws-sdk/lib-storage's Upload: at most (queueSize + 1) parts in memory, multipart above one part,
 * the multipart upload aborted on any failure so no partial object or orphan parts remain.
 */
export class S3BlobStore implements BlobStore {
  readonly kind = 's3' as const;
  readonly minPartBytes = S3_MIN_PART_BYTES;
  readonly #client: S3Client;
  readonly #bucket: string;
  readonly #partBytes: number;
  readonly #queueSize: number;
  readonly #copyPartBytes: number;

  constructor(options: S3BlobStoreOptions) {
    this.#bucket = options.bucket;
    this.#partBytes = options.partBytes ?? DEFAULT_PART_BYTES;
    this.#queueSize = options.queueSize ?? 2;
    this.#copyPartBytes = options.copyPartBytes ?? DEFAULT_COPY_PART_BYTES;
    this.#client = new S3Client({
      endpoint: options.endpoint,
      region: options.region,
      forcePathStyle: true,
      credentials: { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey },
      // Checksums only where S3 requires them: S3-compatible servers differ in the newer
      // flexible-checksum headers, and integrity is the §16 tree's job.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      maxAttempts: 3,
      requestHandler: { connectionTimeout: 5000, requestTimeout: options.requestTimeoutMs ?? 30_000 },
    });
  }

  async put(key: string, body: Readable): Promise<{ size: number }> {
    try {
      assertBlobKey(key);
      if (await this.head(key)) throw fail('BLOB_EXISTS', `object ${key} already exists`);
      return await this.#upload(key, body);
    } catch (error) {
      body.destroy();
      throw error;
    }
  }

  async #upload(key: string, body: Readable): Promise<{ size: number }> {
    let size = 0;
    let bodyError: Error | undefined;
    async function* count(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
      try {
        for await (const chunk of source) {
          size += chunk.length;
          yield chunk;
        }
      } catch (error) {
        bodyError = error instanceof Error ? error : new Error(String(error));
        throw bodyError;
      }
    }
    const upload = new Upload({
      client: this.#client,
      params: {
        Bucket: this.#bucket,
        Key: key,
        Body: Readable.from(count(body)),
        IfNoneMatch: '*',
        ContentType: 'application/octet-stream',
      },
      partSize: this.#partBytes,
      queueSize: this.#queueSize,
      leavePartsOnError: false,
    });
    try {
      await upload.done();
    } catch (error) {
      // The body's own error is the caller's (Upload has aborted the multipart upload by now).
      throw bodyError ?? s3Failure(error, key);
    }
    return { size };
  }

  async get(key: string, range?: BlobRange): Promise<Readable> {
    assertBlobKey(key);
    if (range) {
      assertBlobRange(range);
      if (range.start === range.end) {
        if (!(await this.head(key))) throw fail('BLOB_NOT_FOUND', `no object ${key}`);
        return Readable.from([]);
      }
    }
    try {
      const answer = await this.#client.send(
        new GetObjectCommand({
          Bucket: this.#bucket,
          Key: key,
          Range: range ? `bytes=${range.start}-${range.end - 1}` : undefined,
        }),
      );
      const stream = answer.Body;
      if (!(stream instanceof Readable))
        throw fail('STORAGE_UNAVAILABLE', `object storage answered ${key} without a body stream`);
      return stream;
    } catch (error) {
      // 416: the range starts at or past the end of an existing object, an empty read as on disk.
      if (range && s3Status(error).status === 416) return Readable.from([]);
      throw s3Failure(error, key);
    }
  }

  async head(key: string): Promise<{ size: number } | undefined> {
    assertBlobKey(key);
    try {
      const answer = await this.#client.send(new HeadObjectCommand({ Bucket: this.#bucket, Key: key }));
      return { size: answer.ContentLength ?? 0 };
    } catch (error) {
      const failure = s3Failure(error, key);
      if (failure.code === 'BLOB_NOT_FOUND') return undefined;
      throw failure;
    }
  }

  async copy(from: string, to: string): Promise<void> {
    assertBlobKey(from, 'from');
    assertBlobKey(to, 'to');
    const source = await this.head(from);
    if (!source) throw fail('BLOB_NOT_FOUND', `no object ${from}`);
    if (await this.head(to)) throw fail('BLOB_EXISTS', `object ${to} already exists`);
    if (source.size <= this.#copyPartBytes) {
      try {
        await this.#client.send(
          new CopyObjectCommand({
            Bucket: this.#bucket,
            Key: to,
            CopySource: `${this.#bucket}/${from}`,
            IfNoneMatch: '*',
          }),
        );
      } catch (error) {
        throw s3Failure(error, s3Status(error).status === 404 ? from : to);
      }
      return;
    }
    await this.#copyInParts(from, to, source.size);
  }

  async #copyInParts(from: string, to: string, size: number): Promise<void> {
    let uploadId: string | undefined;
    try {
      const created = await this.#client.send(
        new CreateMultipartUploadCommand({ Bucket: this.#bucket, Key: to, ContentType: 'application/octet-stream' }),
      );
      uploadId = created.UploadId;
      if (uploadId === undefined)
        throw fail('STORAGE_UNAVAILABLE', `object storage started no multipart copy to ${to}`);
      const parts: CompletedPart[] = [];
      for (let start = 0, part = 1; start < size; start += this.#copyPartBytes, part++) {
        const end = Math.min(start + this.#copyPartBytes, size) - 1;
        const answer = await this.#client.send(
          new UploadPartCopyCommand({
            Bucket: this.#bucket,
            Key: to,
            UploadId: uploadId,
            PartNumber: part,
            CopySource: `${this.#bucket}/${from}`,
            CopySourceRange: `bytes=${start}-${end}`,
          }),
        );
        parts.push({ PartNumber: part, ETag: answer.CopyPartResult?.ETag });
      }
      await this.#client.send(
        new CompleteMultipartUploadCommand({
          Bucket: this.#bucket,
          Key: to,
          UploadId: uploadId,
          IfNoneMatch: '*',
          MultipartUpload: { Parts: parts },
        }),
      );
    } catch (error) {
      if (uploadId !== undefined) {
        await this.#client
          .send(new AbortMultipartUploadCommand({ Bucket: this.#bucket, Key: to, UploadId: uploadId }))
          .catch(() => undefined);
      }
      throw s3Failure(error, to);
    }
  }

  async delete(key: string): Promise<void> {
    assertBlobKey(key);
    try {
      // S3 answers 204 for a missing key too: idempotent by the protocol.
      await this.#client.send(new DeleteObjectCommand({ Bucket: this.#bucket, Key: key }));
    } catch (error) {
      const failure = s3Failure(error, key);
      if (failure.code !== 'BLOB_NOT_FOUND') throw failure;
    }
  }

  async *list(prefix: string, options: ListOptions = {}): AsyncIterable<BlobListing> {
    assertBlobPrefix(prefix);
    let token: string | undefined;
    do {
      let page;
      try {
        page = await this.#client.send(
          new ListObjectsV2Command({
            Bucket: this.#bucket,
            Prefix: prefix,
            ContinuationToken: token,
            ...(token === undefined && options.startAfter !== undefined ? { StartAfter: options.startAfter } : {}),
          }),
        );
      } catch (error) {
        throw s3Failure(error, prefix);
      }
      for (const object of page.Contents ?? []) {
        // Objects outside the key alphabet (a readiness probe, another tool's) are not the store's.
        if (object.Key === undefined || !isBlobKey(object.Key)) continue;
        yield { key: object.Key, size: object.Size ?? 0, modifiedAt: object.LastModified?.getTime() ?? 0 };
      }
      token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
  }

  async startResumable(key: string): Promise<ResumableWrite> {
    assertBlobKey(key);
    if (await this.head(key)) throw fail('BLOB_EXISTS', `object ${key} already exists`);
    let uploadId: string | undefined;
    try {
      const created = await this.#client.send(
        new CreateMultipartUploadCommand({ Bucket: this.#bucket, Key: key, ContentType: 'application/octet-stream' }),
      );
      uploadId = created.UploadId;
    } catch (error) {
      throw s3Failure(error, key);
    }
    if (uploadId === undefined)
      throw fail('STORAGE_UNAVAILABLE', `object storage started no multipart upload of ${key}`);
    return new S3ResumableWrite(this.#client, this.#bucket, key, uploadId);
  }

  async *listResumable(prefix: string): AsyncIterable<PendingWrite> {
    assertBlobPrefix(prefix);
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    do {
      let page;
      try {
        page = await this.#client.send(
          new ListMultipartUploadsCommand({
            Bucket: this.#bucket,
            Prefix: prefix,
            KeyMarker: keyMarker,
            UploadIdMarker: uploadIdMarker,
          }),
        );
      } catch (error) {
        throw s3Failure(error, prefix);
      }
      for (const upload of page.Uploads ?? []) {
        const { Key: key, UploadId: uploadId } = upload;
        if (key === undefined || uploadId === undefined || !isBlobKey(key)) continue;
        yield {
          key,
          touchedAt: upload.Initiated?.getTime() ?? 0,
          abort: () => abortMultipart(this.#client, this.#bucket, key, uploadId),
        };
      }
      const more = page.IsTruncated === true;
      keyMarker = more ? page.NextKeyMarker : undefined;
      uploadIdMarker = more ? page.NextUploadIdMarker : undefined;
    } while (keyMarker !== undefined);
  }

  async ready(): Promise<void> {
    try {
      await this.#client.send(new HeadBucketCommand({ Bucket: this.#bucket }));
    } catch (error) {
      const { name, status } = s3Status(error);
      throw fail(
        'STORAGE_UNAVAILABLE',
        `object storage bucket is not usable (${name}${status === undefined ? '' : ` ${status}`})`,
        error,
      );
    }
  }

  close(): Promise<void> {
    this.#client.destroy();
    return Promise.resolve();
  }
}

function isBlobKey(key: string): boolean {
  try {
    assertBlobKey(key);
    return true;
  } catch {
    return false;
  }
}

async function abortMultipart(client: S3Client, bucket: string, key: string, uploadId: string): Promise<void> {
  try {
    await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }));
  } catch (error) {
    // Aborted already (or completed): nothing of it is left to remove.
    if (s3Failure(error, key).code !== 'BLOB_NOT_FOUND') throw s3Failure(error, key);
  }
}

/**
 * A resumable write on S3: one multipart upload, each part one UploadPart streamed from the body
 * with its length declared (a body cut short fails that part, which then does not count), published
 * by CompleteMultipartUpload with If-None-Match: * (write-once, as put).
 */
class S3ResumableWrite implements ResumableWrite {
  readonly #etags = new Map<number, string>();
  #done = false;

  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    readonly key: string,
    private readonly uploadId: string,
  ) {}

  async writePart(part: BlobPart, body: Readable): Promise<void> {
    if (this.#done) throw fail('INTERNAL', `the write of ${this.key} is over`);
    let bodyError: Error | undefined;
    // A body that fails midway leaves the request short of its declared length: abort it rather
    // than wait for the server (the SDK does not retry a streamed body, so nothing is sent twice).
    const abort = new AbortController();
    body.once('error', (error) => {
      bodyError ??= error;
      abort.abort(error);
    });
    // Destroyed without an error (a PUT cut by a newer one) is short of its length too.
    body.once('close', () => {
      if (!body.readableEnded) abort.abort(new Error('the part body closed before its end'));
    });
    try {
      const answer = await this.client.send(
        new UploadPartCommand({
          Bucket: this.bucket,
          Key: this.key,
          UploadId: this.uploadId,
          PartNumber: part.number,
          ContentLength: part.length,
          Body: body,
        }),
        { abortSignal: abort.signal },
      );
      if (answer.ETag === undefined) throw fail('STORAGE_UNAVAILABLE', `object storage kept no part of ${this.key}`);
      this.#etags.set(part.number, answer.ETag);
    } catch (error) {
      body.destroy();
      throw bodyError ?? s3Failure(error, this.key);
    }
  }

  async complete(parts: number): Promise<void> {
    try {
      if (parts === 0) {
        // No part at all (an empty object): S3 completes no multipart upload without one.
        await this.client.send(
          new PutObjectCommand({ Bucket: this.bucket, Key: this.key, Body: Buffer.alloc(0), IfNoneMatch: '*' }),
        );
        await this.abort();
        return;
      }
      const list: CompletedPart[] = [];
      for (let n = 1; n <= parts; n++) {
        const etag = this.#etags.get(n);
        if (etag === undefined) throw fail('INTERNAL', `part ${n} of ${this.key} was never stored`);
        list.push({ PartNumber: n, ETag: etag });
      }
      await this.client.send(
        new CompleteMultipartUploadCommand({
          Bucket: this.bucket,
          Key: this.key,
          UploadId: this.uploadId,
          IfNoneMatch: '*',
          MultipartUpload: { Parts: list },
        }),
      );
      this.#done = true;
    } catch (error) {
      throw s3Failure(error, this.key);
    }
  }

  async abort(): Promise<void> {
    if (this.#done) return;
    this.#done = true;
    await abortMultipart(this.client, this.bucket, this.key, this.uploadId);
  }
}
