// SPDX-License-Identifier: Apache-2.0
/**
 * Login to the app by a challenge signed with the user's K1 (docs/protocol.md §7.7). No password
 * exists anywhere: the access layer issues a one-time challenge bound to a session, its app and
 * the user's key; the user signs it (purpose `login`); the access layer checks the signature
 * against the registered key and answers an assertion signed with its K3 (purpose
 * `login-assertion`), which a hospital system verifies offline with {@link verifyLoginAssertion}.
 */
import { fail } from '../errors/medshare-error';
import { keyIdOf } from '../keys/key-id';
import { ROLES, type Role } from './bodies';
import { MAX_CLOCK_SKEW_MS } from './request';
import { SESSION_ID } from './session';
import { verifyFor } from './signed';
import {
  APP_ID,
  HEX64,
  HEX_SIGNATURE,
  MSP_ID,
  expectInteger,
  expectObject,
  expectOneOf,
  expectString,
} from '../validation/assert';
import { PROTOCOL_VERSION } from '../version';

/** A challenge is good for one minute and one attempt. */
export const LOGIN_CHALLENGE_TTL_MS = 60_000;
/** An assertion says who logged in for eight hours (a shift); the hospital system may hold it less. */
export const LOGIN_ASSERTION_TTL_MS = 8 * 60 * 60_000;

/** The sealed plaintext of `POST /v1/login/challenges`: who is about to log in. */
export interface LoginChallengeRequest {
  readonly v: typeof PROTOCOL_VERSION;
  readonly keyId: string;
}

/** The challenge (the sealed answer), which the user signs with K1 as it is, under purpose `login`. */
export interface LoginChallenge {
  readonly v: typeof PROTOCOL_VERSION;
  /** 32 random bytes, hex: the challenge's identity and its randomness. */
  readonly nonce: string;
  readonly sessionId: string;
  readonly appId: string;
  readonly keyId: string;
  /** The MSP of the access layer that issued it, so that a signature is for that gateway only. */
  readonly org: string;
  readonly issuedAt: number;
  readonly expiresAt: number;
}

/** The sealed plaintext of `POST /v1/login`: the challenge as received and the user's signature over it. */
export interface LoginResponse {
  readonly v: typeof PROTOCOL_VERSION;
  readonly challenge: LoginChallenge;
  readonly signature: string;
}

/** Who logged in, when, through which gateway, for which app, until when. */
export interface LoginAssertion {
  readonly v: typeof PROTOCOL_VERSION;
  readonly keyId: string;
  readonly role: Role;
  /** The user's organization (where they registered). */
  readonly userOrg: string;
  readonly appId: string;
  /** The MSP of the access layer that checked the login. */
  readonly gatewayOrg: string;
  /** The challenge's nonce: ties the assertion to the login that earned it. */
  readonly nonce: string;
  readonly issuedAt: number;
  readonly expiresAt: number;
}

/** The assertion with the K3 signature that makes it verifiable offline (as directory entries are, §7.4). */
export interface SignedLoginAssertion {
  readonly assertion: LoginAssertion;
  readonly k3Id: string;
  readonly sig3: string;
}

const NONCE32 = HEX64;

export function parseLoginChallengeRequest(value: unknown): LoginChallengeRequest {
  const o = expectObject(value, 'login', ['v', 'keyId']);
  if (o.v !== PROTOCOL_VERSION) throw fail('UNSUPPORTED_VERSION', `login.v must be ${PROTOCOL_VERSION}`);
  return { v: PROTOCOL_VERSION, keyId: expectString(o.keyId, 'login.keyId', { pattern: HEX64 }) };
}

export function parseLoginChallenge(value: unknown, name = 'challenge'): LoginChallenge {
  const o = expectObject(value, name, ['v', 'nonce', 'sessionId', 'appId', 'keyId', 'org', 'issuedAt', 'expiresAt']);
  if (o.v !== PROTOCOL_VERSION) throw fail('UNSUPPORTED_VERSION', `${name}.v must be ${PROTOCOL_VERSION}`);
  return {
    v: PROTOCOL_VERSION,
    nonce: expectString(o.nonce, `${name}.nonce`, { pattern: NONCE32 }),
    sessionId: expectString(o.sessionId, `${name}.sessionId`, { pattern: SESSION_ID }),
    appId: expectString(o.appId, `${name}.appId`, { pattern: APP_ID }),
    keyId: expectString(o.keyId, `${name}.keyId`, { pattern: HEX64 }),
    org: expectString(o.org, `${name}.org`, { pattern: MSP_ID }),
    issuedAt: expectInteger(o.issuedAt, `${name}.issuedAt`),
    expiresAt: expectInteger(o.expiresAt, `${name}.expiresAt`),
  };
}

export function parseLoginResponse(value: unknown): LoginResponse {
  const o = expectObject(value, 'login', ['v', 'challenge', 'signature']);
  if (o.v !== PROTOCOL_VERSION) throw fail('UNSUPPORTED_VERSION', `login.v must be ${PROTOCOL_VERSION}`);
  return {
    v: PROTOCOL_VERSION,
    challenge: parseLoginChallenge(o.challenge, 'login.challenge'),
    signature: expectString(o.signature, 'login.signature', { pattern: HEX_SIGNATURE }),
  };
}

export function parseLoginAssertion(value: unknown, name = 'assertion'): LoginAssertion {
  const o = expectObject(value, name, [
    'v',
    'keyId',
    'role',
    'userOrg',
    'appId',
    'gatewayOrg',
    'nonce',
    'issuedAt',
    'expiresAt',
  ]);
  if (o.v !== PROTOCOL_VERSION) throw fail('UNSUPPORTED_VERSION', `${name}.v must be ${PROTOCOL_VERSION}`);
  return {
    v: PROTOCOL_VERSION,
    keyId: expectString(o.keyId, `${name}.keyId`, { pattern: HEX64 }),
    role: expectOneOf(o.role, `${name}.role`, ROLES),
    userOrg: expectString(o.userOrg, `${name}.userOrg`, { pattern: MSP_ID }),
    appId: expectString(o.appId, `${name}.appId`, { pattern: APP_ID }),
    gatewayOrg: expectString(o.gatewayOrg, `${name}.gatewayOrg`, { pattern: MSP_ID }),
    nonce: expectString(o.nonce, `${name}.nonce`, { pattern: NONCE32 }),
    issuedAt: expectInteger(o.issuedAt, `${name}.issuedAt`),
    expiresAt: expectInteger(o.expiresAt, `${name}.expiresAt`),
  };
}

export function parseSignedLoginAssertion(value: unknown): SignedLoginAssertion {
  const o = expectObject(value, 'login', ['assertion', 'k3Id', 'sig3']);
  return {
    assertion: parseLoginAssertion(o.assertion, 'login.assertion'),
    k3Id: expectString(o.k3Id, 'login.k3Id', { pattern: HEX64 }),
    sig3: expectString(o.sig3, 'login.sig3', { pattern: HEX_SIGNATURE }),
  };
}

export interface AssertionCheck {
  /** K3 public keys of the access layers the hospital system trusts. */
  readonly trustedAccessKeys: readonly string[];
  /** The verifier's clock, Unix ms. */
  readonly now: number;
  /** The app the assertion must be for (the verifier's own app id). */
  readonly appId: string;
}

/**
 * Verifies a signed login assertion offline, in this order: it parses; `k3Id` names a trusted
 * K3 and sig3 (purpose `login-assertion`) verifies against it; it is for `appId`; and
 * `issuedAt − 60 s ≤ now ≤ expiresAt`. Every refusal is LOGIN_ASSERTION_INVALID. Deterministic,
 * no I/O. Returns the assertion.
 */
export function verifyLoginAssertion(value: unknown, check: AssertionCheck): LoginAssertion {
  let signed: SignedLoginAssertion;
  try {
    signed = parseSignedLoginAssertion(value);
  } catch (error) {
    throw fail('LOGIN_ASSERTION_INVALID', `the login assertion does not parse: ${(error as Error).message}`, error);
  }
  const { assertion } = signed;
  const k3 = check.trustedAccessKeys.find((k) => keyIdOf(k) === signed.k3Id);
  if (k3 === undefined) throw fail('LOGIN_ASSERTION_INVALID', `the assertion's K3 ${signed.k3Id} is not trusted`);
  if (!verifyFor('login-assertion', k3, assertion, signed.sig3))
    throw fail('LOGIN_ASSERTION_INVALID', `sig3 does not verify against K3 ${signed.k3Id}`);
  if (assertion.appId !== check.appId)
    throw fail('LOGIN_ASSERTION_INVALID', `the assertion is for app ${assertion.appId}, not ${check.appId}`);
  if (check.now > assertion.expiresAt)
    throw fail('LOGIN_ASSERTION_INVALID', `the assertion expired at ${assertion.expiresAt} (now ${check.now})`);
  if (assertion.issuedAt - check.now > MAX_CLOCK_SKEW_MS)
    throw fail(
      'LOGIN_ASSERTION_INVALID',
      `the assertion is issued in the future (${assertion.issuedAt}, now ${check.now})`,
    );
  return assertion;
}
