// SPDX-License-Identifier: Apache-2.0
/**
 * @medshare/protocol: the wire contract (docs/protocol.md) on top of @medshare/crypto. Messages
 * and their parsers, canonical encoding, the error codes, key ids, the chain's signatures and the
 * labels they sign under. Algorithms, fixed-nonce variants and cache controls are not here: they
 * are @medshare/crypto's subpaths (`/sm2`, `/sealed-box`, … and `/testing`).
 */
export { ERROR_CODES, httpStatusOf, isErrorCode, type ErrorCode } from './errors/codes';
export { MedshareError, fail, parseCodedMessage, type MedshareErrorOptions } from './errors/medshare-error';
export { decodeInput, openCiphertext, type CryptoErrorMessage } from './errors/crypto-boundary';
export { PROTOCOL_VERSION } from './version';
export { FILE_ID_LABEL, FILE_REENCRYPT_LABEL, PSEUDONYM_LABEL, RECORD_LABEL, SEALED_BOX_LABELS } from './labels';
export { canonicalBytes, canonicalize, type JsonValue } from './encoding/canonical';
export { keyIdOf } from './keys/key-id';
export { decryptKeyFile, encryptKeyFile, type KeyFile } from './keyfile/keyfile';
export { parseAppConfigFile, type AppConfigFile } from './config/app-config-file';
export {
  APP_ID,
  HEX64,
  HEX_PUBLIC_KEY,
  MSP_ID,
  expectInteger,
  expectObject,
  expectOneOf,
  expectString,
  parseJsonText,
} from './validation/assert';
export {
  DIRECT_TRANSACTIONS,
  OPERATION_TABLE,
  isOperation,
  isSubmitted,
  parseBody,
  parseResult,
  qualifiedName,
  type BodyOf,
  type ContractName,
  type Operation,
  type ResultOf,
  type TransactionRef,
} from './operations';
export {
  KEY_WRAP,
  MAX_RECORD_BYTES,
  ROLES,
  type AuditBody,
  type GrantBody,
  type PageBody,
  type ReadBody,
  type RecordMetadata,
  type RegisterBody,
  type RevokeBody,
  type Role,
  type UploadBody,
  type ViewBody,
} from './messages/bodies';
export {
  parseAuditEntry,
  type AuditEntry,
  type AuditResult,
  type GrantListItem,
  type GrantResult,
  type ListGrantsResult,
  type ListRecordsResult,
  type ReadResult,
  type RecordListItem,
  type RegisterResult,
  type ResultPage,
  type RevokeResult,
  type UploadResult,
  type UserStatus,
  type ViewResult,
} from './messages/results';
export {
  parseFileFragmentsResult,
  parseFileGetResult,
  parseStoredFileDescriptor,
  type FileDescriptor,
  type FileFragmentsResult,
  type FileListItem,
  type FileRevokeResult,
  type FileShareProxy,
  type FileShareResult,
  type FileUploadResult,
  type FileViewResult,
  type SharedFileListItem,
  type StoredFileDescriptor,
} from './messages/file-results';
export {
  FILE_TOKEN,
  accessLayerRequestHash,
  parseFileFragmentsAttachment,
  parseFileUploadBeginEnvelope,
  parseFileViewAttachment,
  parseGatewayAnswer,
  parseProxyReEncryptRequest,
  parseServedCapsuleFragment,
  parseStagedUpload,
  parseUploadState,
  parseUploadGrant,
  type FileFragmentsAttachment,
  type FileUploadBeginEnvelope,
  type FileUploadBeginRequest,
  type FileViewAttachment,
  type ProxyFailure,
  type ProxyReEncryptRequest,
  type ServedCapsuleFragment,
  type StagedUpload,
  type UploadState,
  type UploadGrant,
} from './messages/file-gateway';
export {
  MAX_CLOCK_SKEW_MS,
  MAX_MESSAGE_BYTES,
  assertFresh,
  newRequest,
  parseRequest,
  type AnyRequest,
  type NewRequestFields,
  type Request,
} from './messages/request';
export {
  chainPayload,
  parseAppEnvelope,
  parseContractEnvelope,
  parseContractOutput,
  parseGatewayOutput,
  requestHash,
  signDeterministicFor,
  signFor,
  signedBytes,
  verifyFor,
  type AppEnvelope,
  type ContractEnvelope,
  type ContractOutput,
  type ContractResponse,
  type GatewayOutput,
  type Purpose,
  type SigningKey,
} from './messages/signed';
export {
  SESSION_HEADER,
  SESSION_ID,
  parseSealedMessage,
  parseSessionAnswer,
  parseSessionRequest,
  sessionAad,
  type SealedMessage,
  type SessionAnswer,
  type SessionRequest,
  type SignedSessionAnswer,
  type SignedSessionRequest,
} from './messages/session';
export {
  AUDIT_ACTIONS,
  AUDIT_EVENT_NAME,
  STREAM_TOKEN,
  compareEventPositions,
  eventAad,
  formatEventId,
  parseAuditEvent,
  parseDeliveredEvent,
  parseEventId,
  parseStreamGrant,
  parseAccessLayerRequest,
  parseSubscribeEnvelope,
  subscribeRequestHash,
  type AuditEvent,
  type AuditEventAction,
  type DeliveredEvent,
  type EventPosition,
  type StreamGrant,
  type SubscribeEnvelope,
  type SubscribeRequest,
} from './messages/events';
export { actorKey, keyActor, type Actor } from './messages/actor';
export {
  compressedPublicKey,
  fileReEncryptContext,
  parseFileShare,
  parseFileUploadBegin,
  type FileFragmentGrant,
  type FileIdBody,
  type FileRevokeBody,
  type FileShareBody,
  type FileUploadBeginBody,
  type FileUploadBody,
  type FileViewBody,
} from './messages/files';
// The §16 leaf hashing on a worker thread, shared by the SDK's and the gateway's chunk streams.
export { ChunkSlots, LeafHasher, LeafQueue, MAX_IN_FLIGHT, liveLeafWorkers, toError } from './files/leaf-hasher';
