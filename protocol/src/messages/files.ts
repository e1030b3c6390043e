// SPDX-License-Identifier: Apache-2.0
/**
 * Request bodies of the large-file operations (docs/protocol.md §17). The file itself never
 * travels in a request: it streams to object storage; a request carries its descriptor.
 */
import { CAPSULE_BYTES, CAPSULE_FRAGMENT_BYTES, KEY_FRAGMENT_BYTES, POINT_BYTES } from '@medshare/crypto/tpre';
import { MAX_CHUNK_BYTES, MIN_CHUNK_BYTES } from '@medshare/crypto/chunked-file';
import { fromHex, utf8 } from '@medshare/crypto/bytes';
import { fail } from '../errors/medshare-error';
import { FILE_REENCRYPT_LABEL } from '../labels';
import { expectInteger, expectObject, expectString, HEX64, HEX_PUBLIC_KEY } from '../validation/assert';

/** Largest file a descriptor may name (1 TiB); a gateway's own limit is usually lower. */
export const MAX_FILE_BYTES = 2 ** 40;
/** At most this many proxies hold fragments of one share. */
export const MAX_FILE_PROXIES = 16;

const hex = (bytes: number): RegExp => new RegExp(`^[0-9a-f]{${bytes * 2}}$`);
const CAPSULE = hex(CAPSULE_BYTES);
const POINT = /^0[23][0-9a-f]{64}$/;
const KEY_CHECK = hex(16);
/** SM2 encryption (C1 ‖ C3 ‖ C2) of a 32-byte secret: the delegating key sealed for its owner. */
const SECRET_WRAP = new RegExp(`^04[0-9a-f]{${(64 + 32 + 32) * 2}}$`);
/** SM2 encryption of a key fragment for a proxy. */
const SEALED_FRAGMENT = new RegExp(`^04[0-9a-f]{${(64 + 32 + KEY_FRAGMENT_BYTES) * 2}}$`);
export const CAPSULE_FRAGMENT = hex(CAPSULE_FRAGMENT_BYTES);
/** `type/subtype` of RFC 6838, lower case, no parameters. */
const MEDIA_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,62}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,62}$/;

export interface FileUploadBeginBody {
  readonly size: number;
  readonly chunkBytes: number;
}
export interface FileUploadBody {
  /** The staged upload the gateway issued (file-upload-begin). */
  readonly uploadId: string;
  /** docs/protocol.md §16: the SM3 tree root of the chunk ciphertexts. */
  readonly root: string;
  readonly size: number;
  readonly chunkBytes: number;
  readonly mediaType: string;
  /** §15 capsule under the per-file delegating key, hex (98 bytes). */
  readonly capsule: string;
  /** The delegating public key A, compressed (33 bytes), hex. */
  readonly delegatingKey: string;
  /** The delegating secret a, SM2-encrypted to the owner's K1, hex. */
  readonly ownerKeyWrap: string;
  /** §16 key check, hex (16 bytes). */
  readonly keyCheck: string;
}
export interface FileFragmentGrant {
  readonly proxyId: string;
  /**
   * The key fragment's public id (its first 32 bytes, §15 `id`), hex: every capsule fragment made
   * from it carries it, so the ledger knows which proxy served a capsule fragment (§17).
   */
  readonly fragmentId: string;
  /** The key fragment (§15, 194 bytes) SM2-encrypted to the proxy's key, hex. */
  readonly sealedFragment: string;
}
export interface FileShareBody {
  readonly fileId: string;
  readonly receiverKeyId: string;
  readonly threshold: number;
  readonly fragments: readonly FileFragmentGrant[];
}
export interface FileRevokeBody {
  readonly fileId: string;
  readonly receiverKeyId: string;
}
export interface FileIdBody {
  readonly fileId: string;
}
export interface FileViewBody {
  readonly fileId: string;
  /** §15 capsule fragments from the share's proxies (none when the owner views), hex. */
  readonly capsuleFragments: readonly string[];
}

const hex64 = (v: unknown, name: string): string => expectString(v, name, { pattern: HEX64 });

function chunkBytes(value: unknown, name: string): number {
  const n = expectInteger(value, name, MIN_CHUNK_BYTES, MAX_CHUNK_BYTES);
  if (n % 16 !== 0) throw fail('INVALID_INPUT', `${name} must be a multiple of 16`);
  return n;
}

function list<T>(value: unknown, name: string, max: number, item: (v: unknown, name: string) => T, min = 0): T[] {
  if (!Array.isArray(value)) throw fail('INVALID_INPUT', `${name} must be an array`);
  if (value.length < min || value.length > max) throw fail('INVALID_INPUT', `${name} must have ${min}..${max} entries`);
  return value.map((v, i) => item(v, `${name}[${i}]`));
}

export function parseFileUploadBegin(value: unknown, name: string): FileUploadBeginBody {
  const o = expectObject(value, name, ['size', 'chunkBytes']);
  return {
    size: expectInteger(o.size, `${name}.size`, 0, MAX_FILE_BYTES),
    chunkBytes: chunkBytes(o.chunkBytes, `${name}.chunkBytes`),
  };
}

export const capsuleHex = (v: unknown, name: string): string =>
  expectString(v, name, { pattern: CAPSULE, maxLength: CAPSULE_BYTES * 2 });
export const pointHex = (v: unknown, name: string): string =>
  expectString(v, name, { pattern: POINT, maxLength: POINT_BYTES * 2 });
export const secretWrapHex = (v: unknown, name: string): string =>
  expectString(v, name, { pattern: SECRET_WRAP, maxLength: 256 + 2 });

/** The members of a file-upload body: a file descriptor's own fields (file-results.ts adds the ledger's). */
export const FILE_UPLOAD_FIELDS = [
  'uploadId',
  'root',
  'size',
  'chunkBytes',
  'mediaType',
  'capsule',
  'delegatingKey',
  'ownerKeyWrap',
  'keyCheck',
] as const;

/**
 * The upload fields of `o`, whose members the caller has checked: one validator for the request,
 * the descriptor the ledger stores and the descriptor file-get returns. A receiver's copy of a
 * descriptor has no ownerKeyWrap, hence `ownerKeyWrap: 'optional'`.
 */
export function fileUploadFields(o: Record<string, unknown>, name: string, ownerKeyWrap: 'required'): FileUploadBody;
export function fileUploadFields(
  o: Record<string, unknown>,
  name: string,
  ownerKeyWrap: 'optional',
): Omit<FileUploadBody, 'ownerKeyWrap'> & { readonly ownerKeyWrap?: string };
export function fileUploadFields(
  o: Record<string, unknown>,
  name: string,
  ownerKeyWrap: 'required' | 'optional',
): Omit<FileUploadBody, 'ownerKeyWrap'> & { readonly ownerKeyWrap?: string } {
  return {
    uploadId: hex64(o.uploadId, `${name}.uploadId`),
    root: hex64(o.root, `${name}.root`),
    size: expectInteger(o.size, `${name}.size`, 0, MAX_FILE_BYTES),
    chunkBytes: chunkBytes(o.chunkBytes, `${name}.chunkBytes`),
    mediaType: expectString(o.mediaType, `${name}.mediaType`, { pattern: MEDIA_TYPE, maxLength: 127 }),
    capsule: capsuleHex(o.capsule, `${name}.capsule`),
    delegatingKey: pointHex(o.delegatingKey, `${name}.delegatingKey`),
    ...(ownerKeyWrap === 'optional' && o.ownerKeyWrap === undefined
      ? {}
      : { ownerKeyWrap: secretWrapHex(o.ownerKeyWrap, `${name}.ownerKeyWrap`) }),
    keyCheck: expectString(o.keyCheck, `${name}.keyCheck`, { pattern: KEY_CHECK }),
  };
}

export function parseFileUpload(value: unknown, name: string): FileUploadBody {
  return fileUploadFields(expectObject(value, name, FILE_UPLOAD_FIELDS), name, 'required');
}

export function parseFileShare(value: unknown, name: string): FileShareBody {
  const o = expectObject(value, name, ['fileId', 'receiverKeyId', 'threshold', 'fragments']);
  const fragments = list(
    o.fragments,
    `${name}.fragments`,
    MAX_FILE_PROXIES,
    (v, n) => {
      const f = expectObject(v, n, ['proxyId', 'fragmentId', 'sealedFragment']);
      return {
        proxyId: hex64(f.proxyId, `${n}.proxyId`),
        fragmentId: hex64(f.fragmentId, `${n}.fragmentId`),
        sealedFragment: expectString(f.sealedFragment, `${n}.sealedFragment`, {
          pattern: SEALED_FRAGMENT,
          maxLength: 2048,
        }),
      };
    },
    1,
  );
  if (new Set(fragments.map((f) => f.proxyId)).size !== fragments.length)
    throw fail('INVALID_INPUT', `${name}.fragments must name distinct proxies`);
  if (new Set(fragments.map((f) => f.fragmentId)).size !== fragments.length)
    throw fail('INVALID_INPUT', `${name}.fragments must have distinct fragment ids`);
  return {
    fileId: hex64(o.fileId, `${name}.fileId`),
    receiverKeyId: hex64(o.receiverKeyId, `${name}.receiverKeyId`),
    threshold: expectInteger(o.threshold, `${name}.threshold`, 1, fragments.length),
    fragments,
  };
}

export function parseFileRevoke(value: unknown, name: string): FileRevokeBody {
  const o = expectObject(value, name, ['fileId', 'receiverKeyId']);
  return { fileId: hex64(o.fileId, `${name}.fileId`), receiverKeyId: hex64(o.receiverKeyId, `${name}.receiverKeyId`) };
}

export function parseFileId(value: unknown, name: string): FileIdBody {
  const o = expectObject(value, name, ['fileId']);
  return { fileId: hex64(o.fileId, `${name}.fileId`) };
}

export function parseFileView(value: unknown, name: string): FileViewBody {
  const o = expectObject(value, name, ['fileId', 'capsuleFragments']);
  return {
    fileId: hex64(o.fileId, `${name}.fileId`),
    capsuleFragments: list(o.capsuleFragments, `${name}.capsuleFragments`, MAX_FILE_PROXIES, (v, n) =>
      expectString(v, n, { pattern: CAPSULE_FRAGMENT, maxLength: CAPSULE_FRAGMENT_BYTES * 2 }),
    ),
  };
}

/**
 * The re-encryption context of a share (§17): utf8("medshare/v1/file-reencrypt\n" ‖ fileId ‖ "\n" ‖
 * receiverKeyId ‖ "\n" ‖ txId of the share). Proxies prove under it and the receiver and the
 * chaincode verify under it, so a capsule fragment serves one share only, not a later one.
 */
export function fileReEncryptContext(fileId: string, receiverKeyId: string, shareTxId: string): Uint8Array {
  return utf8(`${FILE_REENCRYPT_LABEL}${fileId}\n${receiverKeyId}\n${shareTxId}`);
}

/**
 * A registered SM2 public key (65 bytes, `04 ‖ x ‖ y`, hex) as the compressed point §15 takes
 * (`02`/`03` by the parity of y ‖ x): the receiver's B is its K1.
 */
export function compressedPublicKey(publicKey: string): Uint8Array {
  const key = expectString(publicKey, 'publicKey', { pattern: HEX_PUBLIC_KEY });
  const bytes = fromHex(key);
  const out = new Uint8Array(33);
  out[0] = ((bytes[64] ?? 0) & 1) === 1 ? 0x03 : 0x02;
  out.set(bytes.subarray(1, 33), 1);
  return out;
}
