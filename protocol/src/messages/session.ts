// SPDX-License-Identifier: Apache-2.0
import { utf8 } from '@medshare/crypto/bytes';
import {
  APP_ID,
  HEX64,
  HEX_PUBLIC_KEY,
  HEX_SIGNATURE,
  NONCE,
  expectInteger,
  expectObject,
  expectString,
} from '../validation/assert';
import { fail } from '../errors/medshare-error';
import { sessionLabel } from '../labels';
import { PROTOCOL_VERSION } from '../version';

/**
 * Session establishment (docs/protocol.md §7.1). The app signs its ephemeral SM2 key
 * with K2 ('session-request'); the gateway answers with a fresh 32-byte session key encrypted to
 * that ephemeral key, signed with K3 ('session').
 */
export interface SessionRequest {
  readonly v: typeof PROTOCOL_VERSION;
  readonly appId: string;
  readonly k2Id: string;
  readonly ephemeralPublicKey: string;
  readonly issuedAt: number;
  readonly nonce: string;
}

export interface SignedSessionRequest extends SessionRequest {
  readonly sig2: string;
}

export interface SessionAnswer {
  readonly v: typeof PROTOCOL_VERSION;
  readonly sessionId: string;
  readonly appId: string;
  /** Echoed so the answer is bound to the app's ephemeral key. */
  readonly ephemeralPublicKey: string;
  /** SM2 ciphertext (C1‖C3‖C2, hex) of the 32-byte session key. */
  readonly encryptedKey: string;
  readonly expiresAt: number;
  readonly k3Id: string;
}

export interface SignedSessionAnswer extends SessionAnswer {
  readonly sig3: string;
}

/** The body of POST /v1/requests and of its answer: a sealed box under the session key. */
export interface SealedMessage {
  readonly sessionId: string;
  readonly ciphertext: string;
}

export const SESSION_ID = /^[0-9a-f]{32}$/;

/**
 * The header that carries a sealed request's session id (docs/protocol.md §5). The gateway checks
 * it against its sessions and the app's source allowlist before it reads the body, so a request
 * with an unknown session costs no parsing; it must equal the body's `sessionId`.
 */
export const SESSION_HEADER = 'x-medshare-session';
const ENCRYPTED_KEY = /^04[0-9a-f]{256}$/;

export function parseSessionRequest(value: unknown): SignedSessionRequest {
  const o = expectObject(value, 'session', ['v', 'appId', 'k2Id', 'ephemeralPublicKey', 'issuedAt', 'nonce', 'sig2']);
  if (o.v !== PROTOCOL_VERSION) throw fail('UNSUPPORTED_VERSION', `session.v must be ${PROTOCOL_VERSION}`);
  return {
    v: PROTOCOL_VERSION,
    appId: expectString(o.appId, 'session.appId', { pattern: APP_ID }),
    k2Id: expectString(o.k2Id, 'session.k2Id', { pattern: HEX64 }),
    ephemeralPublicKey: expectString(o.ephemeralPublicKey, 'session.ephemeralPublicKey', { pattern: HEX_PUBLIC_KEY }),
    issuedAt: expectInteger(o.issuedAt, 'session.issuedAt'),
    nonce: expectString(o.nonce, 'session.nonce', { pattern: NONCE }),
    sig2: expectString(o.sig2, 'session.sig2', { pattern: HEX_SIGNATURE }),
  };
}

export function parseSessionAnswer(value: unknown): SignedSessionAnswer {
  const o = expectObject(value, 'answer', [
    'v',
    'sessionId',
    'appId',
    'ephemeralPublicKey',
    'encryptedKey',
    'expiresAt',
    'k3Id',
    'sig3',
  ]);
  if (o.v !== PROTOCOL_VERSION) throw fail('UNSUPPORTED_VERSION', `answer.v must be ${PROTOCOL_VERSION}`);
  return {
    v: PROTOCOL_VERSION,
    sessionId: expectString(o.sessionId, 'answer.sessionId', { pattern: SESSION_ID }),
    appId: expectString(o.appId, 'answer.appId', { pattern: APP_ID }),
    ephemeralPublicKey: expectString(o.ephemeralPublicKey, 'answer.ephemeralPublicKey', { pattern: HEX_PUBLIC_KEY }),
    encryptedKey: expectString(o.encryptedKey, 'answer.encryptedKey', { pattern: ENCRYPTED_KEY }),
    expiresAt: expectInteger(o.expiresAt, 'answer.expiresAt'),
    k3Id: expectString(o.k3Id, 'answer.k3Id', { pattern: HEX64 }),
    sig3: expectString(o.sig3, 'answer.sig3', { pattern: HEX_SIGNATURE }),
  };
}

export function parseSealedMessage(value: unknown): SealedMessage {
  const o = expectObject(value, 'body', ['sessionId', 'ciphertext']);
  return {
    sessionId: expectString(o.sessionId, 'body.sessionId', { pattern: SESSION_ID }),
    ciphertext: expectString(o.ciphertext, 'body.ciphertext', { maxLength: 2 * 1024 * 1024 }),
  };
}

/** Associated data of the sealed request and response: binds each to its session and direction. */
export function sessionAad(direction: 'request' | 'response', sessionId: string): Uint8Array {
  return utf8(`${sessionLabel(direction)}${sessionId}`);
}
