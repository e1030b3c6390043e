// SPDX-License-Identifier: Apache-2.0
import { toHex, utf8 } from '@medshare/crypto/bytes';
import { sm3 } from '@medshare/crypto/sm3';
import { canonicalBytes } from '../encoding/canonical';
import { fail } from '../errors/medshare-error';
import { EVENT_LABEL } from '../labels';
import { PROTOCOL_VERSION } from '../version';
import {
  APP_ID,
  HEX64,
  HEX_SIGNATURE,
  MSP_ID,
  NONCE,
  expectInteger,
  expectObject,
  expectOneOf,
  expectString,
} from '../validation/assert';
import { MAX_REQUEST_LIFETIME_MS } from './request';
import { AUDIT_ACTIONS, STUDY_ACTIONS, type AuditEventAction } from './results';

/**
 * Access notifications (docs/protocol.md §14). The contract emits one chaincode event named
 * {@link AUDIT_EVENT_NAME} per audited transaction (upload, grant, revoke, view) whose payload is
 * the JCS of an {@link AuditEvent}: ids, action, org and time only, never data.
 */
export const AUDIT_EVENT_NAME = 'medshare.audit';

export { AUDIT_ACTIONS, type AuditEventAction };

/** The actions about someone else (the grantee or receiver): their events carry `subjectKeyId`. */
const SUBJECT_ACTIONS: ReadonlySet<AuditEventAction> = new Set([
  'grant',
  'revoke',
  'file-share',
  'file-revoke',
  'warrant',
  'unwarrant',
  // The study's institution, for a join or leave of an indicator study (§21.3, §21.4).
  'indicator-join',
  'indicator-leave',
]);

export interface AuditEvent {
  readonly v: typeof PROTOCOL_VERSION;
  readonly action: AuditEventAction;
  /** The record's id, or for the file-* actions the file's id. */
  readonly recordId: string;
  /** Key id of the record's owner: the only user the event is delivered to. */
  readonly owner: string;
  readonly actorKeyId: string;
  /** The grantee, for grant and revoke; the institution, for warrant and unwarrant. */
  readonly subjectKeyId?: string;
  /** The study, for warrant and unwarrant. */
  readonly studyId?: string;
  /** MSP id of the access layer that submitted the transaction. */
  readonly org: string;
  readonly txId: string;
  /** The transaction timestamp, Unix ms. */
  readonly at: number;
}

/** An event as the gateway delivers it: its position in the gateway's event log, and the payload. */
export interface DeliveredEvent extends AuditEvent {
  readonly id: string;
}

const TX_ID = /^[0-9A-Za-z_-]{1,128}$/;

export function parseAuditEvent(value: unknown, name = 'event'): AuditEvent {
  const o = expectObject(value, name, [
    'v',
    'action',
    'recordId',
    'owner',
    'actorKeyId',
    'subjectKeyId',
    'studyId',
    'org',
    'txId',
    'at',
  ]);
  if (o.v !== PROTOCOL_VERSION) throw fail('UNSUPPORTED_VERSION', `${name}.v must be ${PROTOCOL_VERSION}`);
  const action = expectOneOf(o.action, `${name}.action`, AUDIT_ACTIONS);
  const hasSubject = SUBJECT_ACTIONS.has(action);
  if (hasSubject !== (o.subjectKeyId !== undefined))
    throw fail(
      'INVALID_INPUT',
      `${name}.subjectKeyId is present exactly for grants, shares, warrants, indicator joins and their revocations`,
    );
  if (STUDY_ACTIONS.has(action) !== (o.studyId !== undefined))
    throw fail(
      'INVALID_INPUT',
      `${name}.studyId is present exactly for warrants, extract reads, indicator joins and their revocations`,
    );
  return {
    v: PROTOCOL_VERSION,
    action,
    recordId: expectString(o.recordId, `${name}.recordId`, { pattern: HEX64 }),
    owner: expectString(o.owner, `${name}.owner`, { pattern: HEX64 }),
    actorKeyId: expectString(o.actorKeyId, `${name}.actorKeyId`, { pattern: HEX64 }),
    ...(hasSubject ? { subjectKeyId: expectString(o.subjectKeyId, `${name}.subjectKeyId`, { pattern: HEX64 }) } : {}),
    ...(o.studyId === undefined ? {} : { studyId: expectString(o.studyId, `${name}.studyId`, { pattern: HEX64 }) }),
    org: expectString(o.org, `${name}.org`, { pattern: MSP_ID }),
    txId: expectString(o.txId, `${name}.txId`, { pattern: TX_ID }),
    at: expectInteger(o.at, `${name}.at`),
  };
}

export function parseDeliveredEvent(value: unknown, name = 'event'): DeliveredEvent {
  const o = expectObject(value, name, [
    'id',
    'v',
    'action',
    'recordId',
    'owner',
    'actorKeyId',
    'subjectKeyId',
    'studyId',
    'org',
    'txId',
    'at',
  ]);
  const { id, ...payload } = o;
  return { id: expectString(id, `${name}.id`, { pattern: EVENT_ID }), ...parseAuditEvent(payload, name) };
}

// ---- event ids ------------------------------------------------------------------------------

/**
 * `"<block>-<index>"`: the block that committed the transaction and the event's index among
 * the audit events of that block (decimal, no leading zeros). Every gateway following the same
 * channel gives an event the same id.
 */
const EVENT_ID = /^(0|[1-9][0-9]{0,15})-(0|[1-9][0-9]{0,5})$/;

export interface EventPosition {
  readonly block: number;
  readonly index: number;
}

export function parseEventId(value: unknown, name = 'event id'): EventPosition {
  const text = expectString(value, name, { pattern: EVENT_ID, maxLength: 24 });
  const [block, index] = text.split('-').map(Number) as [number, number];
  if (!Number.isSafeInteger(block)) throw fail('INVALID_INPUT', `${name} has a block number beyond 2^53`);
  return { block, index };
}

export function formatEventId(position: EventPosition): string {
  return `${position.block}-${position.index}`;
}

/** Negative, zero or positive as `a` comes before, is, or comes after `b`. */
export function compareEventPositions(a: EventPosition, b: EventPosition): number {
  return a.block === b.block ? a.index - b.index : a.block - b.block;
}

// ---- subscribing ----------------------------------------------------------------------------

/**
 * A signed request for an event-stream token: the same fields, validity rules and signatures
 * (sig1 by the user's K1, sig2 by the app's K2 over {request, sig1}) as a contract request, with
 * `op: "subscribe"` and an empty body. The access layer answers it itself.
 */
export interface SubscribeRequest {
  readonly v: typeof PROTOCOL_VERSION;
  readonly op: 'subscribe';
  readonly body: Record<string, never>;
  readonly nonce: string;
  readonly issuedAt: number;
  readonly expiresAt: number;
  readonly appId: string;
  readonly keyId: string;
}

export interface SubscribeEnvelope {
  readonly request: SubscribeRequest;
  readonly sig1: string;
  readonly sig2: string;
  readonly k2Id: string;
}

/** The sealed answer to a subscribe request. */
export interface StreamGrant {
  readonly v: typeof PROTOCOL_VERSION;
  /** SM3 of the canonical subscribe request it answers. */
  readonly requestHash: string;
  /** Bearer token for GET /v1/events, 32 random bytes hex; valid until `expiresAt`. */
  readonly token: string;
  readonly keyId: string;
  /** The session's expiry: streams opened with the token end then. */
  readonly expiresAt: number;
}

/**
 * A request the access layer answers itself (never a contract operation: `op` is not in the
 * operations table): the request fields and validity rules of §6 with the given `op` and body.
 * Subscriptions (§14) and file-upload-begin (§17) are such requests.
 */
export function parseAccessLayerRequest<O extends string, B>(
  value: unknown,
  name: string,
  op: O,
  parseBody: (value: unknown, name: string) => B,
): {
  v: typeof PROTOCOL_VERSION;
  op: O;
  body: B;
  nonce: string;
  issuedAt: number;
  expiresAt: number;
  appId: string;
  keyId: string;
} {
  const o = expectObject(value, name, ['v', 'op', 'body', 'nonce', 'issuedAt', 'expiresAt', 'appId', 'keyId']);
  if (o.v !== PROTOCOL_VERSION) throw fail('UNSUPPORTED_VERSION', `${name}.v must be ${PROTOCOL_VERSION}`);
  expectOneOf(o.op, `${name}.op`, [op] as const);
  const body = parseBody(o.body, `${name}.body`);
  const issuedAt = expectInteger(o.issuedAt, `${name}.issuedAt`);
  const expiresAt = expectInteger(o.expiresAt, `${name}.expiresAt`);
  if (expiresAt <= issuedAt) throw fail('INVALID_INPUT', `${name}.expiresAt must be after ${name}.issuedAt`);
  if (expiresAt - issuedAt > MAX_REQUEST_LIFETIME_MS)
    throw fail('INVALID_INPUT', `${name} lifetime must be at most ${MAX_REQUEST_LIFETIME_MS} ms`);
  return {
    v: PROTOCOL_VERSION,
    op,
    body,
    nonce: expectString(o.nonce, `${name}.nonce`, { pattern: NONCE }),
    issuedAt,
    expiresAt,
    appId: expectString(o.appId, `${name}.appId`, { pattern: APP_ID }),
    keyId: expectString(o.keyId, `${name}.keyId`, { pattern: HEX64 }),
  };
}

function parseSubscribeRequest(value: unknown, name = 'request'): SubscribeRequest {
  return parseAccessLayerRequest(value, name, 'subscribe', (v, n) => expectObject(v, n, []) as Record<string, never>);
}

export function parseSubscribeEnvelope(value: unknown): SubscribeEnvelope {
  const o = expectObject(value, 'envelope', ['request', 'sig1', 'sig2', 'k2Id']);
  return {
    request: parseSubscribeRequest(o.request, 'envelope.request'),
    sig1: expectString(o.sig1, 'envelope.sig1', { pattern: HEX_SIGNATURE }),
    sig2: expectString(o.sig2, 'envelope.sig2', { pattern: HEX_SIGNATURE }),
    k2Id: expectString(o.k2Id, 'envelope.k2Id', { pattern: HEX64 }),
  };
}

export const STREAM_TOKEN = /^[0-9a-f]{64}$/;

export function parseStreamGrant(value: unknown): StreamGrant {
  const o = expectObject(value, 'grant', ['v', 'requestHash', 'token', 'keyId', 'expiresAt']);
  if (o.v !== PROTOCOL_VERSION) throw fail('UNSUPPORTED_VERSION', `grant.v must be ${PROTOCOL_VERSION}`);
  return {
    v: PROTOCOL_VERSION,
    requestHash: expectString(o.requestHash, 'grant.requestHash', { pattern: HEX64 }),
    token: expectString(o.token, 'grant.token', { pattern: STREAM_TOKEN }),
    keyId: expectString(o.keyId, 'grant.keyId', { pattern: HEX64 }),
    expiresAt: expectInteger(o.expiresAt, 'grant.expiresAt'),
  };
}

/** SM3 of the canonical subscribe request (as `requestHash` is for contract requests). */
export function subscribeRequestHash(request: SubscribeRequest): string {
  return toHex(sm3(canonicalBytes(request)));
}

/** Associated data of one sealed event: binds it to its session and its id, so it cannot be moved or replayed under another id. */
export function eventAad(sessionId: string, id: string): Uint8Array {
  return utf8(`${EVENT_LABEL}${sessionId}\n${id}`);
}
