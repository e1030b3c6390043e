// SPDX-License-Identifier: Apache-2.0
import { readFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { expectObject, expectOneOf, expectString, fail } from '@medshare/protocol';
import type { BlobStore } from './blob-store';
import { EmbeddedBlobStore } from './embedded-blob-store';
import { S3BlobStore } from './s3-blob-store';

export interface EmbeddedStorageConfig {
  readonly kind: 'embedded';
  /** The store's folder (default `blobs` beside the config file). */
  readonly dir: string;
}

export interface S3StorageConfig {
  readonly kind: 's3';
  readonly endpoint: string;
  readonly region: string;
  readonly bucket: string;
  readonly accessKeyId: string;
  /** A file holding the secret access key: the config object itself never carries the secret. */
  readonly secretAccessKeyFile: string;
}

export type StorageConfig = EmbeddedStorageConfig | S3StorageConfig;

/** S3 bucket names: 3..63 characters, lower-case letters, digits, dots and hyphens, a letter or digit at each end. */
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const REGION = /^[a-z0-9-]{1,32}$/;
const ACCESS_KEY_ID = /^[A-Za-z0-9_+=.@-]{1,128}$/;
const SECRET = /^[\x21-\x7e]{1,256}$/;

function path(base: string, value: unknown, name: string): string {
  const p = expectString(value, name, { maxLength: 1024 });
  return isAbsolute(p) ? p : resolve(base, p);
}

function endpointUrl(value: unknown): string {
  const text = expectString(value, 'config.storage.endpoint', { maxLength: 256 });
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw fail('INVALID_INPUT', 'config.storage.endpoint must be an http(s) URL');
  }
  if (
    (url.protocol !== 'http:' && url.protocol !== 'https:') ||
    url.username !== '' ||
    url.password !== '' ||
    url.pathname !== '/' ||
    url.search !== '' ||
    url.hash !== ''
  ) {
    throw fail(
      'INVALID_INPUT',
      'config.storage.endpoint must be an http(s) URL with no credentials, path or query (buckets are addressed path-style)',
    );
  }
  return url.origin;
}

/**
 * The gateway config's `storage` section (absent: the embedded store): `{kind: 'embedded', dir?}`
 * or `{kind: 's3', endpoint, region, bucket, accessKeyId, secretAccessKeyFile}`. Relative paths
 * resolve against `base`, the config file's folder.
 */
export function parseStorageConfig(value: unknown, base: string): StorageConfig {
  const o = expectObject(value ?? { kind: 'embedded' }, 'config.storage', [
    'kind',
    'dir',
    'endpoint',
    'region',
    'bucket',
    'accessKeyId',
    'secretAccessKeyFile',
  ]);
  const kind = expectOneOf(o.kind, 'config.storage.kind', ['embedded', 's3'] as const);
  if (kind === 'embedded') {
    for (const field of ['endpoint', 'region', 'bucket', 'accessKeyId', 'secretAccessKeyFile']) {
      if (o[field] !== undefined) throw fail('INVALID_INPUT', `config.storage.${field} is for kind s3`);
    }
    return Object.freeze({ kind, dir: path(base, o.dir ?? 'blobs', 'config.storage.dir') });
  }
  if (o.dir !== undefined) throw fail('INVALID_INPUT', 'config.storage.dir is for kind embedded');
  return Object.freeze({
    kind,
    endpoint: endpointUrl(o.endpoint),
    region: expectString(o.region ?? 'us-east-1', 'config.storage.region', { pattern: REGION }),
    bucket: expectString(o.bucket ?? 'medshare', 'config.storage.bucket', { pattern: BUCKET }),
    accessKeyId: expectString(o.accessKeyId, 'config.storage.accessKeyId', { pattern: ACCESS_KEY_ID }),
    secretAccessKeyFile: path(base, o.secretAccessKeyFile, 'config.storage.secretAccessKeyFile'),
  });
}

/** Reads the secret (one line; surrounding white space dropped). Errors name the setting, never the contents. */
export async function readSecretAccessKey(file: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw fail('INVALID_INPUT', 'config.storage.secretAccessKeyFile cannot be read', error);
  }
  const secret = text.trim();
  if (!SECRET.test(secret))
    throw fail(
      'INVALID_INPUT',
      'config.storage.secretAccessKeyFile must hold one secret of 1..256 printable characters',
    );
  return secret;
}

/** The store a config names, not yet checked: call ready() before serving. */
export async function openBlobStore(config: StorageConfig): Promise<BlobStore> {
  if (config.kind === 'embedded') return new EmbeddedBlobStore({ dir: config.dir });
  return new S3BlobStore({
    endpoint: config.endpoint,
    region: config.region,
    bucket: config.bucket,
    accessKeyId: config.accessKeyId,
    secretAccessKey: await readSecretAccessKey(config.secretAccessKeyFile),
  });
}
