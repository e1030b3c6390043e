// SPDX-License-Identifier: Apache-2.0
/**
 * Challenge-signed login (docs/protocol.md §7.7): a one-time challenge in a session, the user's
 * K1 signature over it (purpose `login`), checked against the registry, answered with an
 * assertion signed by K3 (purpose `login-assertion`) that a hospital system verifies offline.
 * No password anywhere. Logins are not ledger transactions (protocol.md §7.7 says why); each is
 * logged here: key id, app, outcome, never the signature.
 */
import {
  LOGIN_ASSERTION_TTL_MS,
  LOGIN_CHALLENGE_TTL_MS,
  MedshareError,
  PROTOCOL_VERSION,
  ROLES,
  expectOneOf,
  fail,
  keyIdOf,
  parseJsonText,
  parseLoginChallengeRequest,
  parseLoginResponse,
  signFor,
  verifyFor,
  type LoginAssertion,
  type SealedMessage,
  type SignedLoginAssertion,
} from '@medshare/protocol';
import type { LedgerBackend } from '../ledger/backend';
import type { AccessLayer } from '../pipeline/access-layer';
import { LoginChallenges } from '../session/login-challenges';

export interface LoginLog {
  info(fields: object, message: string): void;
}

export interface LoginServiceOptions {
  readonly accessLayer: AccessLayer;
  readonly ledger: Pick<LedgerBackend, 'getUser'>;
  /** The MSP of this access layer: named in challenges and assertions. */
  readonly org: string;
  readonly clock?: () => number;
  readonly log?: LoginLog;
}

interface RegistryUser {
  readonly publicKey: string;
  readonly role: LoginAssertion['role'];
  readonly status: string;
  readonly org: string;
}

export class LoginService {
  readonly challenges = new LoginChallenges();
  readonly #options: LoginServiceOptions;
  readonly #clock: () => number;

  constructor(options: LoginServiceOptions) {
    this.#options = options;
    this.#clock = options.clock ?? Date.now;
  }

  /** POST /v1/login/challenges: a challenge for the key the sealed plaintext names, in this session. */
  challenge(body: SealedMessage, sourceAddress: string): SealedMessage {
    const { accessLayer } = this.#options;
    const { session, value } = accessLayer.openSealed(body, sourceAddress);
    const { keyId } = parseLoginChallengeRequest(value);
    const now = this.#clock();
    const challenge = this.challenges.issue(
      {
        sessionId: session.sessionId,
        appId: session.appId,
        keyId,
        org: this.#options.org,
        issuedAt: now,
        expiresAt: Math.min(now + LOGIN_CHALLENGE_TTL_MS, session.expiresAt),
      },
      now,
    );
    return accessLayer.sealAnswer(session, challenge);
  }

  /** POST /v1/login: the signed challenge → a K3-signed assertion, or a coded refusal. */
  async login(body: SealedMessage, sourceAddress: string): Promise<SealedMessage> {
    const { accessLayer } = this.#options;
    const { session, value } = accessLayer.openSealed(body, sourceAddress);
    const response = parseLoginResponse(value);
    const fields = { keyId: response.challenge.keyId, appId: session.appId, sessionId: session.sessionId };
    try {
      const signed = await this.#assert(response.challenge, response.signature, session.sessionId);
      this.#options.log?.info({ ...fields, role: signed.assertion.role, outcome: 'ok' }, 'login');
      return accessLayer.sealAnswer(session, signed);
    } catch (error) {
      const code = error instanceof MedshareError ? error.code : 'INTERNAL';
      this.#options.log?.info({ ...fields, outcome: code }, 'login refused');
      throw error;
    }
  }

  async #assert(
    presented: Parameters<LoginChallenges['take']>[0],
    signature: string,
    sessionId: string,
  ): Promise<SignedLoginAssertion> {
    const now = this.#clock();
    const challenge = this.challenges.take(presented, sessionId, now);
    const user = await this.#registered(challenge.keyId);
    if (!verifyFor('login', user.publicKey, challenge, signature))
      throw fail('SIG1_INVALID', 'the login signature does not verify against the registered key of challenge.keyId');
    if (user.status !== 'active')
      throw fail(
        'NOT_APPROVED',
        `the ${user.role} ${challenge.keyId} is not approved by an org admin (${user.status})`,
      );
    const k3 = this.#options.accessLayer.signingK3();
    const assertion: LoginAssertion = {
      v: PROTOCOL_VERSION,
      keyId: challenge.keyId,
      role: user.role,
      userOrg: user.org,
      appId: challenge.appId,
      gatewayOrg: this.#options.org,
      nonce: challenge.nonce,
      issuedAt: now,
      expiresAt: now + LOGIN_ASSERTION_TTL_MS,
    };
    return { assertion, k3Id: k3.keyId, sig3: signFor('login-assertion', k3, assertion) };
  }

  /** The key's registry entry (GetUser): NOT_REGISTERED when there is none. */
  async #registered(keyId: string): Promise<RegistryUser> {
    let text: string;
    try {
      text = await this.#options.ledger.getUser(keyId);
    } catch (error) {
      if (error instanceof MedshareError && error.code === 'USER_NOT_FOUND')
        throw fail('NOT_REGISTERED', `key ${keyId} is not registered`);
      throw error;
    }
    const user = parseJsonText(text, 'GetUser result', 4096) as Partial<RegistryUser>;
    if (typeof user.publicKey !== 'string' || keyIdOf(user.publicKey) !== keyId || typeof user.org !== 'string')
      throw fail('INTERNAL', 'the registry answered for another key');
    return {
      publicKey: user.publicKey,
      role: expectOneOf(user.role, 'GetUser result.role', ROLES),
      status: String(user.status),
      org: user.org,
    };
  }
}
