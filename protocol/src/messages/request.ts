// SPDX-License-Identifier: Apache-2.0
import { randomBytes } from 'node:crypto';
import { expectAppVersion } from '../environment/app-version';
import { environmentError } from '../environment/checks';
import { rememberCanonical } from '../encoding/canonical';
import { fail } from '../errors/medshare-error';
import { OPERATIONS, parseBody, type BodyOf, type Operation } from '../operations';
import { APP_ID, expectInteger, expectObject, expectOneOf, expectString, HEX64, NONCE } from '../validation/assert';
import { PROTOCOL_VERSION } from '../version';
import { isRingOperation, parseRingAuthor, RING_OPERATIONS, type RingAuthor, type RingOperation } from './ring';

/** Largest JSON text any entry point parses: one record plus its envelope. */
export const MAX_MESSAGE_BYTES = 1024 * 1024;
/** How long a request may be valid, and how far its issue time may run ahead of the ledger's clock. */
export const MAX_REQUEST_LIFETIME_MS = 5 * 60 * 1000;
export const MAX_CLOCK_SKEW_MS = 60 * 1000;

interface RequestFields<O extends Operation> {
  readonly v: typeof PROTOCOL_VERSION;
  readonly op: O;
  readonly body: BodyOf<O>;
  /** 16 random bytes, hex; one use per author (a key, or a ring's link tag in its scope). */
  readonly nonce: string;
  /** Unix milliseconds. */
  readonly issuedAt: number;
  readonly expiresAt: number;
  readonly appId: string;
  /**
   * Optional: the version of the app that built the request (SemVer 2.0.0), checked against the
   * org's app-version policy before shares and downloads (docs/protocol.md §7.6). Absent in
   * requests of apps older than the member; an org with a policy refuses those.
   */
  readonly appVersion?: string;
}

/** The operations signed by one registered key (all but the ring operations). */
export type KeyOperation = Exclude<Operation, RingOperation>;

/** A request signed by one registered key: sig1 is that key's SM2 signature. */
export interface KeyRequest<O extends KeyOperation = KeyOperation> extends RequestFields<O> {
  /** Key id of the author's K1, whose signature is sig1. */
  readonly keyId: string;
}

/** An anonymous request (docs/protocol.md §6): sig1 is a linkable ring signature by one of `ring.members`. */
export interface RingRequest<O extends RingOperation = RingOperation> extends RequestFields<O> {
  readonly ring: RingAuthor;
}

/** A request of operation `O`: `keyId` for the key operations, `ring` for the ring operations, never both. */
export type Request<O extends Operation = Operation> = O extends RingOperation
  ? RingRequest<O>
  : O extends KeyOperation
    ? KeyRequest<O>
    : never;
export type AnyRequest = Request;

/**
 * Validates an untrusted request completely (unknown fields refused) and returns a typed copy,
 * deep-frozen, whose canonical text is written once (rememberCanonical).
 */
export function parseRequest(value: unknown, name = 'request'): AnyRequest {
  const o = expectObject(value, name, [
    'v',
    'op',
    'body',
    'nonce',
    'issuedAt',
    'expiresAt',
    'appId',
    'keyId',
    'ring',
    'appVersion',
  ]);
  if (o.v !== PROTOCOL_VERSION) throw fail('UNSUPPORTED_VERSION', `${name}.v must be ${PROTOCOL_VERSION}`);
  const op = expectOneOf(o.op, `${name}.op`, OPERATIONS);
  const issuedAt = expectInteger(o.issuedAt, `${name}.issuedAt`);
  const expiresAt = expectInteger(o.expiresAt, `${name}.expiresAt`);
  if (expiresAt <= issuedAt) throw fail('INVALID_INPUT', `${name}.expiresAt must be after ${name}.issuedAt`);
  if (expiresAt - issuedAt > MAX_REQUEST_LIFETIME_MS)
    throw fail('INVALID_INPUT', `${name} lifetime must be at most ${MAX_REQUEST_LIFETIME_MS} ms`);
  return rememberCanonical({
    v: PROTOCOL_VERSION,
    op,
    body: parseBody(op, o.body, `${name}.body`),
    nonce: expectString(o.nonce, `${name}.nonce`, { pattern: NONCE }),
    issuedAt,
    expiresAt,
    appId: expectString(o.appId, `${name}.appId`, { pattern: APP_ID }),
    ...author(op, o, name),
    ...(o.appVersion === undefined ? {} : { appVersion: expectAppVersion(o.appVersion, `${name}.appVersion`) }),
  } as AnyRequest);
}

/** `keyId` XOR `ring`, as the operation requires (ring: structural checks only, ring.ts). */
function author(op: Operation, o: Record<string, unknown>, name: string): { keyId: string } | { ring: RingAuthor } {
  if (isRingOperation(op)) {
    if (o.keyId !== undefined) throw fail('INVALID_INPUT', `${name}.keyId is not allowed: ${op} is signed by a ring`);
    return { ring: parseRingAuthor(o.ring, `${name}.ring`) };
  }
  if (o.ring !== undefined)
    throw fail('INVALID_INPUT', `${name}.ring is allowed only for ${RING_OPERATIONS.join(', ')}`);
  return { keyId: expectString(o.keyId, `${name}.keyId`, { pattern: HEX64 }) };
}

/**
 * The clock-skew check (docs/protocol.md §7.6): how far `issuedAt` may be from a verifier's clock.
 * The access layer sees a request moments after the app signed it and bounds both directions
 * (`|now − issuedAt| ≤ 60 s`); the contract's clock is the transaction timestamp, which a
 * re-endorsement after an MVCC conflict moves later, so it bounds only an issue time ahead of
 * it (`issuedAt − now ≤ 60 s`) and leaves the past to `expiresAt`.
 */
export function checkClockSkew(issuedAt: number, now: number, bound: 'both' | 'ahead'): void {
  if (issuedAt - now > MAX_CLOCK_SKEW_MS)
    throw environmentError(
      'clock-skew',
      'CLOCK_SKEW',
      `request issued at ${issuedAt}, ${issuedAt - now} ms ahead of this clock (${now}); at most ${MAX_CLOCK_SKEW_MS} ms`,
    );
  if (bound === 'both' && now - issuedAt > MAX_CLOCK_SKEW_MS)
    throw environmentError(
      'clock-skew',
      'CLOCK_SKEW',
      `request issued at ${issuedAt}, ${now - issuedAt} ms behind this clock (${now}); at most ${MAX_CLOCK_SKEW_MS} ms`,
    );
}

/**
 * Checks a request against a ledger or server clock (ms): the clock skew ahead
 * (`issuedAt − 60 s ≤ now`, CLOCK_SKEW), then the expiry (`now ≤ expiresAt`, REQUEST_EXPIRED).
 */
export function assertFresh(request: Pick<Request, 'issuedAt' | 'expiresAt'>, now: number): void {
  checkClockSkew(request.issuedAt, now, 'ahead');
  if (now > request.expiresAt) throw fail('REQUEST_EXPIRED', `request expired at ${request.expiresAt}, now ${now}`);
}

export interface NewRequestFields<O extends KeyOperation> {
  readonly op: O;
  readonly body: BodyOf<O>;
  readonly appId: string;
  readonly keyId: string;
  /** Unix ms; the request is valid from now until now + lifetimeMs. */
  readonly now: number;
  readonly lifetimeMs?: number;
  /** The app's version, stated in the request (docs/protocol.md §6, §7.6). */
  readonly appVersion?: string;
}

/** Builds a key request with a fresh random nonce (16 bytes) and a validity window. */
export function newRequest<O extends KeyOperation>(fields: NewRequestFields<O>): KeyRequest<O> {
  return { ...requestFields(fields), keyId: fields.keyId };
}

export interface NewRingRequestFields<O extends RingOperation> extends Omit<
  NewRequestFields<never>,
  'op' | 'body' | 'keyId'
> {
  readonly op: O;
  readonly body: BodyOf<O>;
  readonly ring: RingAuthor;
}

/** Builds a ring request (its `ring` as given: members ascending, the key image the signature will have). */
export function newRingRequest<O extends RingOperation>(fields: NewRingRequestFields<O>): RingRequest<O> {
  return { ...requestFields(fields), ring: { members: [...fields.ring.members], keyImage: fields.ring.keyImage } };
}

function requestFields<O extends Operation>(fields: {
  op: O;
  body: BodyOf<O>;
  appId: string;
  now: number;
  lifetimeMs?: number;
  appVersion?: string;
}): RequestFields<O> {
  const lifetime = fields.lifetimeMs ?? 2 * 60 * 1000;
  return {
    v: PROTOCOL_VERSION,
    op: fields.op,
    body: fields.body,
    nonce: randomBytes(16).toString('hex'),
    issuedAt: fields.now,
    expiresAt: fields.now + lifetime,
    appId: fields.appId,
    ...(fields.appVersion === undefined ? {} : { appVersion: fields.appVersion }),
  };
}
