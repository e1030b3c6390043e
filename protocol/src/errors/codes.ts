// SPDX-License-Identifier: Apache-2.0
/**
 * The one list of error codes shared by the chaincode, the gateway and the app.
 * A code is part of the wire contract: never rename one, only add.
 */
export const ERROR_CODES = {
  INVALID_INPUT: { status: 400, summary: 'the input failed validation' },
  ROUTE_NOT_FOUND: { status: 404, summary: 'no such route or method' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, summary: 'the request body must be application/json' },
  URI_TOO_LONG: { status: 414, summary: 'a path parameter is longer than allowed' },
  HEADERS_TOO_LARGE: { status: 431, summary: 'the request headers are larger than allowed' },
  PAYLOAD_TOO_LARGE: { status: 413, summary: 'the input is larger than allowed' },
  UNSUPPORTED_VERSION: { status: 400, summary: 'unknown protocol version' },
  SIG1_INVALID: { status: 401, summary: "the user's signature (sig1) did not verify" },
  SIG2_INVALID: { status: 401, summary: "the app's signature (sig2) did not verify" },
  SIG3_INVALID: { status: 401, summary: "the access layer's signature (sig3) did not verify" },
  SIG4_INVALID: { status: 502, summary: "the contract's signature (sig4) did not verify" },
  SIG5_INVALID: { status: 502, summary: "the access layer's response signature (sig5) did not verify" },
  SESSION_SIGNATURE_INVALID: { status: 502, summary: 'the session answer was not signed by a known access-layer key' },
  UNKNOWN_APP: { status: 401, summary: 'the app id is not registered with this access layer' },
  UNKNOWN_ACCESS_KEY: {
    status: 401,
    summary: 'no access-layer key (K3) with that id is registered for this organization',
  },
  ACCESS_KEY_NOT_VALID: { status: 401, summary: 'the access-layer key is retired or outside its validity window' },
  APP_KEY_NOT_VALID: { status: 401, summary: 'the app key is retired or outside its validity window' },
  CONTRACT_KEY_NOT_VALID: { status: 502, summary: 'the contract key is unknown or outside its validity window' },
  SOURCE_NOT_ALLOWED: { status: 403, summary: 'the source address is not allowed for this app' },
  SESSION_UNKNOWN: { status: 401, summary: 'unknown or expired session' },
  SESSION_LIMIT: { status: 429, summary: 'too many open sessions for this app' },
  SESSION_BUSY: {
    status: 429,
    summary: 'too many large requests of this session are waiting for their turn; nothing was read, send it again',
  },
  CIPHERTEXT_INVALID: { status: 400, summary: 'the ciphertext failed authentication' },
  NONCE_REPLAYED: { status: 409, summary: 'the request nonce was already used' },
  REQUEST_EXPIRED: { status: 401, summary: 'the request is expired or not yet valid' },
  RATE_LIMITED: { status: 429, summary: 'too many requests' },
  GATEWAY_BUSY: {
    status: 503,
    summary: "the access layer's share of CPU for unauthenticated work is spent; retry shortly",
  },
  NOT_REGISTERED: { status: 403, summary: 'the key is not registered' },
  ALREADY_REGISTERED: { status: 409, summary: 'the key or pseudonym is already registered' },
  NOT_APPROVED: { status: 403, summary: 'the doctor or institution is not approved by an org admin' },
  NOT_REGISTERED_PATIENT: { status: 403, summary: 'no registered patient has that pseudonymous id' },
  NOT_REGISTERED_DOCTOR: { status: 403, summary: 'the grantee is not a registered, approved doctor or institution' },
  NOT_OWNER: { status: 403, summary: 'the signer does not own the record' },
  NOT_AUTHORIZED: { status: 403, summary: 'the signer is neither the owner nor a current grantee' },
  NOT_ORG_ADMIN: { status: 403, summary: 'the caller is not an admin of the required organization' },
  ACCESS_NOT_RECORDED: { status: 403, summary: 'no committed access record allows this read' },
  RECORD_NOT_FOUND: { status: 404, summary: 'no record with that id' },
  GRANT_NOT_FOUND: { status: 404, summary: 'no such grant' },
  USER_NOT_FOUND: { status: 404, summary: 'no user with that key id' },
  KEY_NOT_FOUND: { status: 404, summary: 'no key with that id' },
  KEY_IN_USE: { status: 409, summary: "the key is this access layer's last usable signing key" },
  CONFLICT: { status: 409, summary: 'a concurrent transaction changed the same state; retry' },
  ACCESS_LAYER_NOT_READY: { status: 503, summary: 'the access layer cannot sign now (no usable K3); see /v1/keys' },
  LEDGER_UNAVAILABLE: {
    status: 503,
    summary: 'the ledger could not be reached or could not take the call; nothing was written',
  },
  OUTCOME_UNKNOWN: {
    status: 504,
    summary: 'the transaction was sent for ordering but whether it committed is unknown; resolve it before retrying',
  },
  TRANSACTION_INVALID: { status: 502, summary: 'the ledger validated the transaction as invalid; nothing was written' },
  IDEMPOTENCY_KEY_REUSED: {
    status: 409,
    summary: 'the idempotency key was already used by this owner for an upload with other content',
  },
  FILE_NOT_FOUND: { status: 404, summary: 'no file with that id' },
  SHARE_NOT_FOUND: { status: 404, summary: 'no current share of that file to that key' },
  PROXY_NOT_FOUND: { status: 404, summary: 'no registered, unretired re-encryption proxy with that id' },
  FRAGMENTS_INVALID: { status: 422, summary: 'the key or capsule fragments do not verify, or too few of them do' },
  INTEGRITY_FAILED: { status: 422, summary: 'integrity check failed: the content does not match its SM3 digest tree' },
  INTERNAL: { status: 500, summary: 'internal error' },
  STREAM_TOKEN_INVALID: { status: 401, summary: 'the event-stream token is unknown, expired or for another app' },
  FILE_TOKEN_INVALID: {
    status: 401,
    summary: 'the upload or download token is unknown, expired, spent, or for another file, user or app',
  },
  UPLOAD_OFFSET_MISMATCH: {
    status: 409,
    summary:
      'the upload does not continue at that offset: ask the gateway for the offset it has stored, and resume there',
  },
  STREAM_LIMIT: { status: 429, summary: 'too many open event streams for this app' },
  EVENT_ID_EXPIRED: {
    status: 410,
    summary: 'the event id to resume after is older than the retained events; resume without it',
  },
  BLOB_NOT_FOUND: { status: 404, summary: 'no stored object with that key' },
  BLOB_EXISTS: { status: 409, summary: 'an object with that key is already stored; stored objects are write-once' },
  STORAGE_UNAVAILABLE: { status: 503, summary: 'the object storage could not be reached or could not take the call' },
  STUDY_RELEASES_IDENTIFIER: {
    status: 422,
    summary: 'the study names a direct identifier or free text, which are never released',
  },
  STUDY_NOT_FOUND: { status: 404, summary: 'no study with that id' },
  STUDY_CLOSED: { status: 409, summary: 'the study is closed: it takes no new warrants or contributions' },
  ALREADY_WARRANTED: { status: 409, summary: 'the record is already warranted to that institution for that study' },
  NOT_WARRANTED: { status: 404, summary: 'the record is not warranted to that institution for that study' },
  EXTRACT_TOO_LARGE: { status: 413, summary: 'the sealed research extract is larger than allowed' },
  NOT_INSTITUTION: { status: 403, summary: 'the key is registered, but not as an institution' },
  ACCESS_LIST_FORBIDDEN: { status: 403, summary: 'only the institution an access list is bound to may read it' },
  PROFILE_NOT_FOUND: { status: 404, summary: 'the patient has no profile' },
  RING_SIZE_INVALID: { status: 400, summary: 'the ring has fewer or more members than allowed' },
  RING_MEMBER_DUPLICATE: { status: 400, summary: 'a key appears twice in the ring' },
  RING_MEMBER_NOT_ELIGIBLE: { status: 403, summary: 'a ring member is not a registered, active patient' },
  RING_SIGNATURE_INVALID: {
    status: 401,
    summary: 'the linkable ring signature (sig1 of an anonymous request) did not verify',
  },
  LINK_TAG_REUSED: {
    status: 409,
    summary: 'a contribution with this link tag (key image) already exists in this study',
  },
  CONTRIBUTION_NOT_FOUND: { status: 404, summary: 'no contribution with this link tag in this study' },
  EXTRACT_NOT_GENERALIZED: {
    status: 422,
    summary: "an opened research extract holds a value its study's rules do not produce",
  },
  // The sharing environment (docs/protocol.md §7.6) and the login (§7.7).
  CLOCK_SKEW: {
    status: 401,
    summary: "the request's issue time is further from the verifier's clock than the allowed skew (60 s)",
  },
  APP_VERSION_REFUSED: { status: 403, summary: "the app's stated version is not allowed by its organization's policy" },
  LOGIN_CHALLENGE_INVALID: {
    status: 401,
    summary: 'the login challenge is unknown, expired, already used, or for another session, app or key',
  },
  LOGIN_ASSERTION_INVALID: {
    status: 401,
    summary: 'the login assertion is not signed by a trusted access-layer key, is expired, or is for another app',
  },
  // Daily indicators (docs/protocol.md §21).
  KEYWORD_ATTESTATION_INVALID: {
    status: 400,
    summary: "the keyword attestation's commitment is not a point or its doctor's signature did not verify (§21.2)",
  },
  KEYWORD_NOT_ATTESTED: {
    status: 409,
    summary: 'the record carries no keyword attestation, so it cannot join an indicator study (§21.3)',
  },
  KEYWORD_NOT_MATCHED: {
    status: 403,
    summary:
      "the zero-knowledge proof that the record's committed keyword is in the study's set did not verify (§21.3)",
  },
  STUDY_KEY_INVALID: { status: 400, summary: "the indicator study's public key is not a point of the curve (§21.1)" },
  INDICATOR_RANGE_INVALID: {
    status: 400,
    summary: "an indicator's range is inverted, beyond 2^32 - 1, or its sums overflow the decryption bound (§21.1)",
  },
  INDICATOR_OUT_OF_RANGE: {
    status: 422,
    summary: "the range proof did not verify: a reading (or a sum, for a mean) is outside the study's range (§21.4)",
  },
  INDICATOR_PROOF_INVALID: {
    status: 422,
    summary: "the validity proof of the submission's ciphertexts did not verify (§21.4)",
  },
  INDICATOR_DAY_OUTSIDE_WINDOW: {
    status: 409,
    summary: "a submitted day is outside the study's window or after today (§21.4)",
  },
  INDICATOR_DAY_SUBMITTED: { status: 409, summary: 'the participant already submitted readings for that day (§21.4)' },
  ALREADY_JOINED: { status: 409, summary: 'the patient has joined (or left) this indicator study already (§21.3)' },
  NOT_PARTICIPANT: { status: 403, summary: 'the author is not a participant of this indicator study (§21.4)' },
  STUDY_FULL: { status: 409, summary: 'the indicator study has reached its maxParticipants (§21.3)' },
  INDICATOR_K_NOT_REACHED: {
    status: 403,
    summary: 'fewer than k current participants have readings: no per-participant output (§21.5)',
  },
} as const satisfies Record<string, { status: number; summary: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

const CODE_SET: ReadonlySet<string> = new Set(Object.keys(ERROR_CODES));

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && CODE_SET.has(value);
}

export function httpStatusOf(code: ErrorCode): number {
  return ERROR_CODES[code].status;
}
