// SPDX-License-Identifier: Apache-2.0
/**
 * The access layer's side of the sharing-environment check (docs/protocol.md §7.6). The
 * pipeline (pipeline/access-layer.ts) has already checked the source network, the clock skew,
 * K2 and sig2, freshness and replay when it hands a share or a download here; this runs the
 * rest of the list before any work is spent on it: a K3 to sign with, the author's K1
 * registered, the app version against this org's policy, the holder and the receiver. The
 * checks are protocol's `checkEnvironment`, the ones the contract runs again.
 */
import {
  ENVIRONMENT_OPERATIONS,
  MedshareError,
  checkEnvironment,
  isEnvironmentOperation,
  namedReceiver,
  parseAppVersionPolicy,
  parseJsonText,
  type AnyRequest,
  type AppVersionPolicy,
  type PartyFact,
  type Role,
} from '@medshare/protocol';
import type { LedgerBackend } from '../ledger/backend';

/** How long a policy read from the ledger is used before it is read again. */
export const POLICY_TTL_MS = 30_000;

export interface EnvironmentOptions {
  readonly ledger: Pick<LedgerBackend, 'getUser' | 'getAppPolicy'>;
  /** The MSP of this access layer: its apps' policy is its org's. */
  readonly org: string;
  readonly policyTtlMs?: number;
}

/** A registry entry (GetUser's answer) as the checks see it, or undefined for a key never registered. */
async function partyOf(ledger: EnvironmentOptions['ledger'], keyId: string): Promise<PartyFact> {
  let text: string;
  try {
    text = await ledger.getUser(keyId);
  } catch (error) {
    if (error instanceof MedshareError && error.code === 'USER_NOT_FOUND') return { keyId, entry: undefined };
    throw error;
  }
  const user = parseJsonText(text, 'GetUser result', 4096) as { role: Role; status: string };
  return { keyId, entry: { role: user.role, status: user.status } };
}

export class GatewayEnvironment {
  readonly #options: EnvironmentOptions;
  #policy: { value: AppVersionPolicy; until: number } | undefined;

  constructor(options: EnvironmentOptions) {
    this.#options = options;
  }

  /** Drops the policy read last, after an admin changed it through this gateway. */
  forgetPolicy(): void {
    this.#policy = undefined;
  }

  /** This org's policy, from the ledger at most `policyTtlMs` ago. */
  async policy(now: number): Promise<AppVersionPolicy> {
    if (this.#policy && this.#policy.until > now) return this.#policy.value;
    const text = await this.#options.ledger.getAppPolicy(this.#options.org);
    const value = parseAppVersionPolicy(parseJsonText(text, 'GetAppPolicy result', 64 * 1024), 'GetAppPolicy result');
    this.#policy = { value, until: now + (this.#options.policyTtlMs ?? POLICY_TTL_MS) };
    return value;
  }

  /**
   * keys-valid (the author's K1), app-version, holder, receiver, for a share or download
   * (protocol's ENVIRONMENT_OPERATIONS; any other request passes); throws the first refusal. A share's author is its
   * holder; a download's author is the holder when a patient (the only owners) and the
   * receiver otherwise.
   */
  async check(request: AnyRequest, now: number): Promise<void> {
    // Shares and downloads only; they are key operations (a ring request is never one).
    if (!isEnvironmentOperation(request.op) || !('keyId' in request)) return;
    const { ledger } = this.#options;
    const author = await partyOf(ledger, request.keyId);
    const policy = await this.policy(now);
    const receiverKeyId = namedReceiver(request);
    const share = ENVIRONMENT_OPERATIONS[request.op] === 'share';
    const authorIsHolder = share || author.entry?.role === 'patient';
    checkEnvironment({
      author,
      appVersion: request.appVersion,
      policy,
      ...(authorIsHolder ? { holder: author } : { receiver: author }),
      ...(receiverKeyId === undefined ? {} : { receiver: await partyOf(ledger, receiverKeyId) }),
    });
  }
}
