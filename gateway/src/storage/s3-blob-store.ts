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
  ListObjectsV2Command,
  S3Client,
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
  type BlobRange,
  type BlobStore,
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

  async *list(prefix: string): AsyncIterable<BlobListing> {
    assertBlobPrefix(prefix);
    let token: string | undefined;
    do {
      let page;
      try {
        page = await this.#client.send(
          new ListObjectsV2Command({ Bucket: this.#bucket, Prefix: prefix, ContinuationToken: token }),
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
