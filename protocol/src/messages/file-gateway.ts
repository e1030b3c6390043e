// SPDX-License-Identifier: Apache-2.0
/**
 * What the access layer itself says about large files (docs/protocol.md §17 "Through the
 * gateway"): the file-upload-begin request and its upload grant, the staged upload's digest, the
 * gateway's attachments to a sealed answer (capsule fragments, a download token), and the
 * server-to-server re-encryption request a gateway sends a peer gateway's proxy.
 */
import { toHex } from '@medshare/crypto/bytes';
import { sm3 } from '@medshare/crypto/sm3';
import { canonicalBytes } from '../encoding/canonical';
import { isErrorCode, type ErrorCode } from '../errors/codes';
import { fail } from '../errors/medshare-error';
import { PROTOCOL_VERSION } from '../version';
import { HEX64, HEX_SIGNATURE, MSP_ID, expectInteger, expectObject, expectString } from '../validation/assert';
import { parseAccessLayerRequest } from './events';
import { CAPSULE_FRAGMENT, MAX_FILE_PROXIES, parseFileUploadBegin, type FileUploadBeginBody } from './files';
import { parseGatewayOutput, type GatewayOutput } from './signed';

/** A bearer token the gateway issues (upload, download): 32 random bytes, hex. */
export const FILE_TOKEN = /^[0-9a-f]{64}$/;

export interface FileUploadBeginRequest {
  readonly v: typeof PROTOCOL_VERSION;
  readonly op: 'file-upload-begin';
  readonly body: FileUploadBeginBody;
  readonly nonce: string;
  readonly issuedAt: number;
  readonly expiresAt: number;
  readonly appId: string;
  readonly keyId: string;
}

export interface FileUploadBeginEnvelope {
  readonly request: FileUploadBeginRequest;
  readonly sig1: string;
  readonly sig2: string;
  readonly k2Id: string;
}

/** The sealed answer to file-upload-begin: where and with what to PUT the ciphertext. */
export interface UploadGrant {
  readonly v: typeof PROTOCOL_VERSION;
  readonly requestHash: string;
  /** 32 random bytes, hex: the staging object `staging/<uploadId>` and the descriptor's uploadId. */
  readonly uploadId: string;
  readonly uploadToken: string;
  readonly expiresAt: number;
}

/** The answer to the PUT: what the gateway computed from the bytes it stored (§16). */
export interface StagedUpload {
  readonly size: number;
  readonly root: string;
  readonly chunks: number;
}

export function parseFileUploadBeginEnvelope(value: unknown): FileUploadBeginEnvelope {
  const o = expectObject(value, 'envelope', ['request', 'sig1', 'sig2', 'k2Id']);
  return {
    request: parseAccessLayerRequest(o.request, 'envelope.request', 'file-upload-begin', parseFileUploadBegin),
    sig1: expectString(o.sig1, 'envelope.sig1', { pattern: HEX_SIGNATURE }),
    sig2: expectString(o.sig2, 'envelope.sig2', { pattern: HEX_SIGNATURE }),
    k2Id: expectString(o.k2Id, 'envelope.k2Id', { pattern: HEX64 }),
  };
}

/** SM3 of a canonical request the access layer answers itself (as `requestHash` for contract requests). */
export function accessLayerRequestHash(request: FileUploadBeginRequest): string {
  return toHex(sm3(canonicalBytes(request)));
}

export function parseUploadGrant(value: unknown): UploadGrant {
  const o = expectObject(value, 'grant', ['v', 'requestHash', 'uploadId', 'uploadToken', 'expiresAt']);
  if (o.v !== PROTOCOL_VERSION) throw fail('UNSUPPORTED_VERSION', `grant.v must be ${PROTOCOL_VERSION}`);
  return {
    v: PROTOCOL_VERSION,
    requestHash: expectString(o.requestHash, 'grant.requestHash', { pattern: HEX64 }),
    uploadId: expectString(o.uploadId, 'grant.uploadId', { pattern: HEX64 }),
    uploadToken: expectString(o.uploadToken, 'grant.uploadToken', { pattern: FILE_TOKEN }),
    expiresAt: expectInteger(o.expiresAt, 'grant.expiresAt'),
  };
}

export function parseStagedUpload(value: unknown): StagedUpload {
  const o = expectObject(value, 'staged', ['size', 'root', 'chunks']);
  return {
    size: expectInteger(o.size, 'staged.size'),
    root: expectString(o.root, 'staged.root', { pattern: HEX64 }),
    chunks: expectInteger(o.chunks, 'staged.chunks', 1),
  };
}

/**
 * The answer to GET /v1/files/uploads/<uploadId> (§17): how much of the upload the gateway has
 * stored durably. `offset` is where the next PUT starts (a part boundary, hence a chunk boundary,
 * or `size` once staged); `staged` is the PUT's answer once the last byte is stored.
 */
export interface UploadState {
  readonly uploadId: string;
  readonly size: number;
  readonly chunkBytes: number;
  readonly offset: number;
  readonly expiresAt: number;
  readonly staged?: StagedUpload;
}

export function parseUploadState(value: unknown): UploadState {
  const o = expectObject(value, 'upload', ['uploadId', 'size', 'chunkBytes', 'offset', 'expiresAt', 'staged']);
  const size = expectInteger(o.size, 'upload.size');
  const chunkBytes = expectInteger(o.chunkBytes, 'upload.chunkBytes', 1);
  const offset = expectInteger(o.offset, 'upload.offset', 0, size);
  if (offset !== size && offset % chunkBytes !== 0)
    throw fail('INVALID_INPUT', 'upload.offset must be a multiple of upload.chunkBytes, or upload.size');
  return {
    uploadId: expectString(o.uploadId, 'upload.uploadId', { pattern: HEX64 }),
    size,
    chunkBytes,
    offset,
    expiresAt: expectInteger(o.expiresAt, 'upload.expiresAt'),
    ...(o.staged === undefined ? {} : { staged: parseStagedUpload(o.staged) }),
  };
}

/** One proxy's capsule fragment (§15), as its gateway returned it. Self-verifying: the app checks it. */
export interface ServedCapsuleFragment {
  readonly proxyId: string;
  readonly capsuleFragment: string;
}

/** A proxy that did not serve, and the coded reason. */
export interface ProxyFailure {
  readonly proxyId: string;
  readonly code: ErrorCode;
  readonly message: string;
}

/** The gateway's attachment to a file-fragments answer. */
export interface FileFragmentsAttachment {
  readonly capsuleFragments: readonly ServedCapsuleFragment[];
  readonly failures: readonly ProxyFailure[];
}

/** The gateway's attachment to a committed file-view: the bearer token for GET /v1/files/:fileId/{leaves,content}. */
export interface FileViewAttachment {
  readonly downloadToken: string;
  readonly expiresAt: number;
}

/**
 * A sealed answer: the GatewayOutput (§7.3, sig5 over `{response, sig4}`) and, beside it, what the
 * access layer adds itself (`gateway`), outside every signature. sig4 and sig5 verify exactly as
 * before; the attachment is only ever something the app checks on its own (capsule fragments are
 * verified against the ledger's capsule; a token is only a capability).
 */
export function parseGatewayAnswer(value: unknown): { output: GatewayOutput; attachment: unknown } {
  const o = expectObject(value, 'answer', ['response', 'sig4', 'sig5', 'k3Id', 'gateway']);
  const { gateway, ...output } = o;
  return { output: parseGatewayOutput(output), attachment: gateway };
}

export function parseServedCapsuleFragment(value: unknown, name: string): ServedCapsuleFragment {
  const o = expectObject(value, name, ['proxyId', 'capsuleFragment']);
  return {
    proxyId: expectString(o.proxyId, `${name}.proxyId`, { pattern: HEX64 }),
    capsuleFragment: expectString(o.capsuleFragment, `${name}.capsuleFragment`, { pattern: CAPSULE_FRAGMENT }),
  };
}

function list<T>(value: unknown, name: string, item: (v: unknown, name: string) => T): T[] {
  if (!Array.isArray(value) || value.length > MAX_FILE_PROXIES)
    throw fail('INVALID_INPUT', `${name} must be an array of at most ${MAX_FILE_PROXIES}`);
  return value.map((v, i) => item(v, `${name}[${i}]`));
}

export function parseFileFragmentsAttachment(value: unknown): FileFragmentsAttachment {
  const o = expectObject(value, 'gateway', ['capsuleFragments', 'failures']);
  return {
    capsuleFragments: list(o.capsuleFragments, 'gateway.capsuleFragments', parseServedCapsuleFragment),
    failures: list(o.failures, 'gateway.failures', (v, n) => {
      const f = expectObject(v, n, ['proxyId', 'code', 'message']);
      const code = expectString(f.code, `${n}.code`, { maxLength: 64 });
      return {
        proxyId: expectString(f.proxyId, `${n}.proxyId`, { pattern: HEX64 }),
        code: isErrorCode(code) ? code : 'INTERNAL',
        message: expectString(f.message, `${n}.message`, { maxLength: 4096 }),
      };
    }),
  };
}

export function parseFileViewAttachment(value: unknown): FileViewAttachment {
  const o = expectObject(value, 'gateway', ['downloadToken', 'expiresAt']);
  return {
    downloadToken: expectString(o.downloadToken, 'gateway.downloadToken', { pattern: FILE_TOKEN }),
    expiresAt: expectInteger(o.expiresAt, 'gateway.expiresAt'),
  };
}

/**
 * A gateway asks a peer gateway's proxy to re-encrypt (`POST /v1/proxy/reencrypt`): signed with
 * its K3 (purpose `proxy-request`) over the other members. The peer checks that K3 on the ledger
 * (`org`'s, valid now), the freshness (±60 s), then reads the share itself.
 */
export interface ProxyReEncryptRequest {
  readonly v: typeof PROTOCOL_VERSION;
  readonly fileId: string;
  readonly receiverKeyId: string;
  readonly proxyId: string;
  readonly org: string;
  readonly issuedAt: number;
  readonly k3Id: string;
  readonly sig: string;
}

export function parseProxyReEncryptRequest(value: unknown): ProxyReEncryptRequest {
  const o = expectObject(value, 'request', [
    'v',
    'fileId',
    'receiverKeyId',
    'proxyId',
    'org',
    'issuedAt',
    'k3Id',
    'sig',
  ]);
  if (o.v !== PROTOCOL_VERSION) throw fail('UNSUPPORTED_VERSION', `request.v must be ${PROTOCOL_VERSION}`);
  return {
    v: PROTOCOL_VERSION,
    fileId: expectString(o.fileId, 'request.fileId', { pattern: HEX64 }),
    receiverKeyId: expectString(o.receiverKeyId, 'request.receiverKeyId', { pattern: HEX64 }),
    proxyId: expectString(o.proxyId, 'request.proxyId', { pattern: HEX64 }),
    org: expectString(o.org, 'request.org', { pattern: MSP_ID }),
    issuedAt: expectInteger(o.issuedAt, 'request.issuedAt'),
    k3Id: expectString(o.k3Id, 'request.k3Id', { pattern: HEX64 }),
    sig: expectString(o.sig, 'request.sig', { pattern: HEX_SIGNATURE }),
  };
}
