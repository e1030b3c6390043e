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

/**
 * How long the registry entry of an active user is used before it is read again: the policy's
 * 30 s. No transaction changes an active entry (registry: pending → active, no deletion), so
 * the bound only matters for a state the ledger cannot reach today; pending and unknown keys
 * are read every time (an approval or a registration is seen at once).
 */
export const ACTIVE_PARTY_TTL_MS = POLICY_TTL_MS;
/** At most this many active entries are kept (about 100 bytes each), the least recently used dropped first. */
export const ACTIVE_PARTY_CACHE_SIZE = 10_000;

export interface EnvironmentOptions {
  readonly ledger: Pick<LedgerBackend, 'getUser' | 'getAppPolicy'>;
  /** The MSP of this access layer: its apps' policy is its org's. */
  readonly org: string;
  readonly policyTtlMs?: number;
  readonly activePartyTtlMs?: number;
}

type PartyEntry = NonNullable<PartyFact['entry']>;

export class GatewayEnvironment {
  readonly #options: EnvironmentOptions;
  #policy: { value: AppVersionPolicy; until: number } | undefined;
  /** Active users' entries by key id, oldest use first (a download's GetUser is a Fabric evaluation). */
  readonly #active = new Map<string, { entry: PartyEntry; until: number }>();

  constructor(options: EnvironmentOptions) {
    this.#options = options;
  }

  /** Drops the policy read last, after an admin changed it through this gateway. */
  forgetPolicy(): void {
    this.#policy = undefined;
  }

  /** Drops the active users' entries kept (ACTIVE_PARTY_TTL_MS), so that the next checks read the registry. */
  forgetParties(): void {
    this.#active.clear();
  }

  /** A registry entry (GetUser's answer) as the checks see it, or undefined for a key never registered. */
  async #partyOf(keyId: string, now: number): Promise<PartyFact> {
    const kept = this.#active.get(keyId);
    if (kept) {
      this.#active.delete(keyId);
      if (kept.until > now) {
        this.#active.set(keyId, kept);
        return { keyId, entry: kept.entry };
      }
    }
    let text: string;
    try {
      text = await this.#options.ledger.getUser(keyId);
    } catch (error) {
      if (error instanceof MedshareError && error.code === 'USER_NOT_FOUND') return { keyId, entry: undefined };
      throw error;
    }
    const user = parseJsonText(text, 'GetUser result', 4096) as { role: Role; status: string };
    const entry = { role: user.role, status: user.status };
    if (entry.status === 'active') {
      this.#active.delete(keyId);
      this.#active.set(keyId, { entry, until: now + (this.#options.activePartyTtlMs ?? ACTIVE_PARTY_TTL_MS) });
      if (this.#active.size > ACTIVE_PARTY_CACHE_SIZE) this.#active.delete(this.#active.keys().next().value as string);
    }
    return { keyId, entry };
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
    const author = await this.#partyOf(request.keyId, now);
    const policy = await this.policy(now);
    const receiverKeyId = namedReceiver(request);
    const share = ENVIRONMENT_OPERATIONS[request.op] === 'share';
    const authorIsHolder = share || author.entry?.role === 'patient';
    checkEnvironment({
      author,
      appVersion: request.appVersion,
      policy,
      ...(authorIsHolder ? { holder: author } : { receiver: author }),
      ...(receiverKeyId === undefined ? {} : { receiver: await this.#partyOf(receiverKeyId, now) }),
    });
  }
}
