// SPDX-License-Identifier: Apache-2.0
/**
 * The sharing-environment check (docs/protocol.md §7.6): before a share or a download the access
 * layer and the contract each run these named checks, in this order, and refuse at the first
 * that fails with that check's code and a message that names it. One list for both sides (and
 * for later callers such as study joins), so that they cannot drift: the gateway
 * (`gateway/src/access/environment.ts`) and the chaincode (`chaincode/src/environment/`) gather
 * the facts they hold and hand them to {@link checkEnvironment}; the first three checks sit in
 * their pipelines, where the facts appear, and report through {@link environmentError}.
 */
import type { ErrorCode } from '../errors/codes';
import { MedshareError } from '../errors/medshare-error';
import type { Role } from '../messages/bodies';
import type { Operation } from '../operations';
import { appVersionRefusal, type AppVersionPolicy } from './app-version';

export const ENVIRONMENT_CHECKS = [
  { name: 'source-network', codes: ['UNKNOWN_APP', 'SOURCE_NOT_ALLOWED'] },
  { name: 'clock-skew', codes: ['CLOCK_SKEW'] },
  { name: 'keys-valid', codes: ['APP_KEY_NOT_VALID', 'UNKNOWN_ACCESS_KEY', 'ACCESS_KEY_NOT_VALID', 'NOT_REGISTERED'] },
  { name: 'app-version', codes: ['APP_VERSION_REFUSED'] },
  { name: 'holder', codes: ['NOT_REGISTERED', 'NOT_APPROVED'] },
  { name: 'receiver', codes: ['NOT_REGISTERED_DOCTOR'] },
] as const satisfies ReadonlyArray<{ name: string; codes: readonly ErrorCode[] }>;

export type EnvironmentCheckName = (typeof ENVIRONMENT_CHECKS)[number]['name'];
type CodesOf<N extends EnvironmentCheckName> = Extract<
  (typeof ENVIRONMENT_CHECKS)[number],
  { name: N }
>['codes'][number];

/** A refusal by one check: its code, and a message that starts with the check's name. */
export function environmentError<N extends EnvironmentCheckName>(
  check: N,
  code: CodesOf<N>,
  detail: string,
): MedshareError {
  return new MedshareError({ code, message: `check ${check}: ${detail}`, context: { check } });
}

/**
 * The operations the check guards, and which kind each is: a share names its receiver in the
 * body (the author is the holder); a download's author is the holder (the owner) or a receiver
 * (a grantee, a share's receiver).
 */
export const ENVIRONMENT_OPERATIONS = {
  grant: 'share',
  'file-share': 'share',
  // A warrant releases an extract to an institution: a share. Its receiver (the institution) is
  // checked by the warrant's own rules (docs/protocol.md §19.3: NOT_INSTITUTION, NOT_APPROVED).
  warrant: 'share',
  // Joining an indicator study and submitting readings release data to its institution: shares,
  // whose receiver (the study's institution) the indicators contract checks (§21.3).
  'indicator-join': 'share',
  'indicator-submit': 'share',
  view: 'download',
  read: 'download',
  'file-get': 'download',
  'file-fragments': 'download',
  'file-view': 'download',
} as const satisfies Partial<Record<Operation, 'share' | 'download'>>;

export type EnvironmentOperation = keyof typeof ENVIRONMENT_OPERATIONS;

export function isEnvironmentOperation(op: string): op is EnvironmentOperation {
  return Object.hasOwn(ENVIRONMENT_OPERATIONS, op);
}

/** The receiver a share's body names (grant: the grantee; file-share: the receiver; a warrant's institution is §19.3's). */
export function namedReceiver(request: { op: string; body: unknown }): string | undefined {
  const body = request.body as { granteeKeyId?: unknown; receiverKeyId?: unknown };
  const named =
    request.op === 'grant' ? body.granteeKeyId : request.op === 'file-share' ? body.receiverKeyId : undefined;
  return typeof named === 'string' ? named : undefined;
}

/** A party as the registry holds it: its key id and entry (undefined when the key is not registered). */
export interface PartyFact {
  readonly keyId: string;
  readonly entry: { readonly role: Role; readonly status: string } | undefined;
}

/**
 * The facts of the last checks: the author's registry entry (keys-valid: the author's K1 must be
 * registered; the contract finds it before sig1 and passes none), the version the request states
 * and the org's policy (app-version), and the parties (holder, receiver) when known.
 */
export interface EnvironmentFacts {
  readonly author?: PartyFact;
  readonly appVersion: string | undefined;
  readonly policy: AppVersionPolicy;
  readonly holder?: PartyFact;
  readonly receiver?: PartyFact;
}

/** keys-valid, app-version, holder, receiver, in that order (the list's order); throws the first refusal. */
export function checkEnvironment(facts: EnvironmentFacts): void {
  if (facts.author && facts.author.entry === undefined)
    throw environmentError('keys-valid', 'NOT_REGISTERED', `the author's key ${facts.author.keyId} is not registered`);
  const refusal = appVersionRefusal(facts.appVersion, facts.policy);
  if (refusal !== undefined) throw environmentError('app-version', 'APP_VERSION_REFUSED', refusal);
  if (facts.holder) checkHolder(facts.holder);
  if (facts.receiver) checkReceiver(facts.receiver);
}

/** The holder (the owner of the record or file): registered and active. */
function checkHolder({ keyId, entry }: PartyFact): void {
  if (!entry) throw environmentError('holder', 'NOT_REGISTERED', `the holder ${keyId} is not registered`);
  if (entry.status !== 'active')
    throw environmentError('holder', 'NOT_APPROVED', `the holder ${keyId} is ${entry.status}, not active`);
}

/** The receiver: registered, a doctor or an institution, and approved (active). */
function checkReceiver({ keyId, entry }: PartyFact): void {
  const why = !entry
    ? 'is not registered'
    : entry.role === 'patient'
      ? 'is a patient, not a doctor or institution'
      : entry.status !== 'active'
        ? `is a ${entry.role} not approved by an org admin (${entry.status})`
        : undefined;
  if (why !== undefined) throw environmentError('receiver', 'NOT_REGISTERED_DOCTOR', `the receiver ${keyId} ${why}`);
}
