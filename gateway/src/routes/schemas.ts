// SPDX-License-Identifier: Apache-2.0
/** Standard padded base64, the sealed bodies' ciphertext (ajv tests it without this RegExp: server-options.ts). */
export const BASE64_PATTERN = '^[A-Za-z0-9+/]*={0,2}$';
const hex = (n: number): { type: 'string'; pattern: string } => ({ type: 'string', pattern: `^[0-9a-f]{${n}}$` });

export const sessionRequestSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['v', 'appId', 'k2Id', 'ephemeralPublicKey', 'issuedAt', 'nonce', 'sig2'],
  properties: {
    v: { type: 'integer', const: 1 },
    appId: { type: 'string', pattern: '^[a-z0-9][a-z0-9.-]{0,62}$' },
    k2Id: hex(64),
    ephemeralPublicKey: { type: 'string', pattern: '^04[0-9a-f]{128}$' },
    issuedAt: { type: 'integer', minimum: 0 },
    nonce: hex(32),
    sig2: hex(128),
  },
} as const;

export const sessionAnswerSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['v', 'sessionId', 'appId', 'ephemeralPublicKey', 'encryptedKey', 'expiresAt', 'k3Id', 'sig3'],
  properties: {
    v: { type: 'integer' },
    sessionId: hex(32),
    appId: { type: 'string' },
    ephemeralPublicKey: { type: 'string' },
    encryptedKey: { type: 'string' },
    expiresAt: { type: 'integer' },
    k3Id: hex(64),
    sig3: hex(128),
  },
} as const;

export const sealedSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['sessionId', 'ciphertext'],
  properties: {
    sessionId: hex(32),
    ciphertext: { type: 'string', maxLength: 2_097_152, pattern: BASE64_PATTERN },
  },
} as const;

/** The header of a sealed request (SESSION_HEADER): checked before the body is read. */
export const sessionHeaders = {
  type: 'object',
  required: ['x-medshare-session'],
  properties: {
    'x-medshare-session': { ...hex(32), description: "the body's sessionId, checked before the body is read" },
  },
} as const;

export const keyIdParams = {
  type: 'object',
  additionalProperties: false,
  required: ['keyId'],
  properties: { keyId: hex(64) },
} as const;

export const recordIdParams = {
  type: 'object',
  additionalProperties: false,
  required: ['recordId'],
  properties: { recordId: hex(64) },
} as const;

export const directorySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['user', 'k3Id', 'sig3'],
  properties: {
    user: {
      type: 'object',
      additionalProperties: false,
      required: ['keyId', 'publicKey', 'role', 'status', 'org'],
      properties: {
        keyId: { type: 'string' },
        publicKey: { type: 'string' },
        role: { type: 'string' },
        status: { type: 'string' },
        org: { type: 'string' },
      },
    },
    k3Id: hex(64),
    sig3: hex(128),
  },
} as const;

const keyEntry = {
  type: 'object',
  additionalProperties: false,
  required: ['keyId', 'publicKey', 'notBefore', 'notAfter'],
  properties: {
    keyId: { type: 'string' },
    publicKey: { type: 'string' },
    notBefore: { type: 'integer' },
    notAfter: { type: 'integer' },
  },
} as const;

/** A K3 with how the ledger sees it (absent until the gateway has compared its keys with the ledger). */
const k3Entry = {
  ...keyEntry,
  properties: {
    ...keyEntry.properties,
    status: { type: 'string', enum: ['active', 'unregistered', 'retired', 'window-mismatch'] },
    retiredAt: { type: 'integer' },
  },
} as const;

export const publicKeysSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['org', 'k3', 'k4'],
  properties: {
    org: { type: 'string' },
    k3: { type: 'array', items: k3Entry },
    k4: { type: 'array', items: keyEntry },
  },
} as const;

export const accessKeyBody = {
  type: 'object',
  additionalProperties: false,
  required: ['publicKey', 'notBefore', 'notAfter'],
  properties: {
    publicKey: { type: 'string', pattern: '^04[0-9a-f]{128}$' },
    notBefore: { type: 'integer', minimum: 0 },
    notAfter: { type: 'integer', minimum: 0 },
  },
} as const;

/** An org's app-version policy (docs/protocol.md §7.6): the contract checks the versions; no comma inside one. */
export const appPolicyBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    minVersion: { type: 'string', minLength: 1, maxLength: 64, pattern: '^[0-9A-Za-z.+-]+$' },
    denied: {
      type: 'array',
      maxItems: 64,
      items: { type: 'string', minLength: 1, maxLength: 64, pattern: '^[0-9A-Za-z.+-]+$' },
    },
  },
} as const;

export const retireBody = {
  type: 'object',
  additionalProperties: false,
  properties: { retireAt: { type: 'integer', minimum: 0 } },
} as const;

export const pageQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    pageSize: { type: 'integer', minimum: 1, maximum: 100, default: 50 },
    bookmark: { type: 'string', maxLength: 1400, default: '' },
  },
} as const;

/** Admin answers are the contract's JSON, passed through. */
export const anyObject = { type: 'object', additionalProperties: true } as const;

const eventIdPattern = '^(0|[1-9][0-9]{0,15})-(0|[1-9][0-9]{0,5})$';

export const eventsQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    after: {
      type: 'string',
      pattern: eventIdPattern,
      description: 'resume after this event id (the Last-Event-ID header does the same; this wins)',
    },
    follow: {
      type: 'string',
      enum: ['true', 'false'],
      default: 'true',
      description: 'false: send the logged events, then end',
    },
  },
} as const;

export const eventsHeaders = {
  type: 'object',
  properties: {
    authorization: { type: 'string', description: 'Bearer <stream token from POST /v1/events/subscriptions>' },
    'last-event-id': { type: 'string', pattern: eventIdPattern },
  },
} as const;

export const eventStreamResponse = {
  description:
    'text/event-stream: for each event `id: <block>-<index>`, `event: medshare.audit`, `data: <base64 sealed box>` (docs/protocol.md §14); `:` comments are heartbeats',
  content: { 'text/event-stream': { schema: { type: 'string' } } },
} as const;
