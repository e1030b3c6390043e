export { ERROR_CODES, httpStatusOf, isErrorCode, type ErrorCode } from './errors/codes';
export { MedshareError, fail, parseCodedMessage, type MedshareErrorOptions } from './errors/medshare-error';
export { assertBytes, bigIntToBytes, bytesToBigInt, concatBytes, equalBytes, fromBase64, fromHex, toBase64, toHex, utf8 } from './encoding/bytes';
export { canonicalBytes, canonicalize, type JsonValue } from './encoding/canonical';
export { hmacSm3, sm3 } from './sm3/sm3';
export { CiphertextError, SEALED_KEY_BYTES, SEALED_OVERHEAD, open, randomKey, seal, sm4Ctr, sm4DecryptBlock, sm4EncryptBlock } from './sm4/sm4';
export { SM2_N } from './sm2/curve';
export { assertPublicKey, generateKeyPair, keyIdOf, publicKeyFromPrivate, type Sm2KeyPair } from './sm2/keys';
export { privateKeyFromPem, privateKeyToPem, publicKeyFromPem, publicKeyToPem } from './sm2/pem';
export {
  DEFAULT_USER_ID,
  SIGNATURE_BYTES,
  rfc6979Nonces,
  sign,
  signDeterministic,
  signatureFromDer,
  signatureToDer,
  verify,
  zA,
  type Sm2SignOptions,
} from './sm2/sign';
export { SM2_CIPHERTEXT_OVERHEAD, Sm2DecryptError, decrypt, encrypt, kdf } from './sm2/encrypt';
export { clearPointCache } from './sm2/point-cache';
export { verifyKeyStats as pointCacheStats, type VerifyKeyStats } from './sm2/verify-keys';
export { DEFAULT_SCRYPT, decryptKeyFile, encryptKeyFile, parseKeyFile, type KeyFile, type ScryptParams } from './keyfile/keyfile';
export {
  APP_ID,
  HEX64,
  HEX_PUBLIC_KEY,
  HEX_SIGNATURE,
  MSP_ID,
  NONCE,
  expectInteger,
  expectObject,
  expectOneOf,
  expectString,
  parseJsonText,
} from './validation/assert';
export {
  KEY_WRAP,
  MAX_CLOCK_SKEW_MS,
  MAX_MESSAGE_BYTES,
  MAX_PAGE_SIZE,
  MAX_RECORD_BYTES,
  MAX_REQUEST_LIFETIME_MS,
  OPERATIONS,
  PROTOCOL_VERSION,
  ROLES,
  SUBMIT_OPERATIONS,
  assertFresh,
  newRequest,
  parseRequest,
  type AnyRequest,
  type AuditBody,
  type BodyByOp,
  type GrantBody,
  type NewRequestFields,
  type Operation,
  type PageBody,
  type ReadBody,
  type RecordMetadata,
  type RegisterBody,
  type Request,
  type RevokeBody,
  type Role,
  type UploadBody,
  type ViewBody,
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
  EVENT_ID,
  STREAM_TOKEN,
  compareEventPositions,
  eventAad,
  formatEventId,
  parseAuditEvent,
  parseDeliveredEvent,
  parseEventId,
  parseStreamGrant,
  parseSubscribeEnvelope,
  parseSubscribeRequest,
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
