// SPDX-License-Identifier: Apache-2.0
/**
 * App versions and an organization's app-version policy (docs/protocol.md §7.6). A version is a
 * strict Semantic Versioning 2.0.0 string; a policy is a minimum version and a list of denied
 * versions, compared by SemVer precedence (§11), so build metadata never changes the answer.
 * Pure and deterministic: the chaincode runs it on every endorser.
 */
import { fail } from '../errors/medshare-error';
import { expectInteger, expectObject, expectString, MSP_ID } from '../validation/assert';

// SemVer 2.0.0 §2 (X.Y.Z, no leading zeros), §9 (pre-release identifiers: numeric ones without
// leading zeros) and §10 (build metadata). No leading "v" or "=": one spelling per version inside
// signed bytes.
const NUMERIC = '0|[1-9][0-9]*';
const PRE_ID = `(?:${NUMERIC}|[0-9]*[A-Za-z-][0-9A-Za-z-]*)`;
export const APP_VERSION = new RegExp(
  `^(${NUMERIC})\\.(${NUMERIC})\\.(${NUMERIC})(?:-(${PRE_ID}(?:\\.${PRE_ID})*))?(?:\\+[0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*)?$`,
);
/** Longest version accepted anywhere (request, policy). */
export const MAX_APP_VERSION_LENGTH = 64;
/** Most versions one policy may deny. */
export const MAX_DENIED_VERSIONS = 64;

interface Version {
  readonly core: readonly [string, string, string];
  readonly prerelease: readonly string[];
}

export function expectAppVersion(value: unknown, name: string): string {
  return expectString(value, name, { pattern: APP_VERSION, maxLength: MAX_APP_VERSION_LENGTH });
}

function split(version: string): Version {
  const m = APP_VERSION.exec(version);
  if (!m) throw new RangeError(`${version} is not a SemVer 2.0.0 version`);
  return { core: [m[1] ?? '0', m[2] ?? '0', m[3] ?? '0'], prerelease: m[4] === undefined ? [] : m[4].split('.') };
}

/** Numeric identifiers have no leading zeros, so the longer one is larger, and equal lengths compare as text. */
function compareNumeric(a: string, b: string): number {
  if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

const isNumeric = (id: string): boolean => /^[0-9]+$/.test(id);

/** SemVer 2.0.0 §11.4: numeric < alphanumeric; numeric by value, alphanumeric in ASCII order. */
function compareIdentifiers(a: string, b: string): number {
  const [na, nb] = [isNumeric(a), isNumeric(b)];
  if (na && nb) return compareNumeric(a, b);
  if (na !== nb) return na ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** SemVer 2.0.0 §11 precedence: −1, 0 or 1. Build metadata is ignored (§10). */
export function compareVersions(a: string, b: string): number {
  const [x, y] = [split(a), split(b)];
  for (let i = 0; i < 3; i++) {
    const c = compareNumeric(x.core[i] as string, y.core[i] as string);
    if (c !== 0) return c;
  }
  // §11.3: a version without pre-release identifiers ranks above one with them.
  if (x.prerelease.length === 0 || y.prerelease.length === 0)
    return x.prerelease.length === y.prerelease.length ? 0 : x.prerelease.length === 0 ? 1 : -1;
  for (let i = 0; i < Math.min(x.prerelease.length, y.prerelease.length); i++) {
    const c = compareIdentifiers(x.prerelease[i] as string, y.prerelease[i] as string);
    if (c !== 0) return c;
  }
  return Math.sign(x.prerelease.length - y.prerelease.length);
}

/** An organization's rule for the versions of its apps (ledger `medshare.app-policy [mspId]`). */
export interface AppVersionPolicy {
  readonly org: string;
  /** The lowest version allowed; absent: any. */
  readonly minVersion?: string;
  /** Versions refused whatever the minimum (SemVer precedence: `1.4.2+build7` is `1.4.2`). */
  readonly denied: readonly string[];
  /** When an org admin set it (the transaction time); absent for an org that never set one. */
  readonly setAt?: number;
}

/** The policy of an org that never set one: every version, and a request stating none, allowed. */
export function openPolicy(org: string): AppVersionPolicy {
  return { org, denied: [] };
}

/** Whether the policy constrains anything (a request without a version passes only an unconstrained one). */
export function constrains(policy: AppVersionPolicy): boolean {
  return policy.minVersion !== undefined || policy.denied.length > 0;
}

function deniedList(values: readonly unknown[], name: string): string[] {
  if (values.length > MAX_DENIED_VERSIONS)
    throw fail('INVALID_INPUT', `${name} may list at most ${MAX_DENIED_VERSIONS} versions`);
  const denied = values.map((v, i) => expectAppVersion(v, `${name}[${i}]`));
  denied.forEach((v, i) => {
    const j = denied.findIndex((w) => compareVersions(v, w) === 0);
    if (j < i) throw fail('INVALID_INPUT', `${name}[${i}] repeats ${name}[${j}] (${denied[j] ?? ''})`);
  });
  return denied;
}

export function parseAppVersionPolicy(value: unknown, name = 'policy'): AppVersionPolicy {
  const o = expectObject(value, name, ['org', 'minVersion', 'denied', 'setAt']);
  if (!Array.isArray(o.denied)) throw fail('INVALID_INPUT', `${name}.denied must be an array`);
  return {
    org: expectString(o.org, `${name}.org`, { pattern: MSP_ID }),
    ...(o.minVersion === undefined ? {} : { minVersion: expectAppVersion(o.minVersion, `${name}.minVersion`) }),
    denied: deniedList(o.denied, `${name}.denied`),
    ...(o.setAt === undefined ? {} : { setAt: expectInteger(o.setAt, `${name}.setAt`) }),
  };
}

/**
 * The policy an org admin sets with plain string arguments (`app-policy:SetAppPolicy`):
 * `minVersion` a version or `""` for none, `denied` versions separated by commas, `""` for none.
 */
export function policyFromArguments(org: string, minVersion: string, denied: string, setAt: number): AppVersionPolicy {
  const min = expectString(minVersion, 'minVersion', { minLength: 0, maxLength: MAX_APP_VERSION_LENGTH });
  const list = expectString(denied, 'denied', { minLength: 0, maxLength: MAX_DENIED_VERSIONS * 65 });
  return parseAppVersionPolicy({
    org,
    ...(min === '' ? {} : { minVersion: min }),
    denied: list === '' ? [] : list.split(','),
    setAt,
  });
}

/** Why `stated` (the request's `appVersion`) is refused by `policy`, or undefined when it is allowed. */
export function appVersionRefusal(stated: string | undefined, policy: AppVersionPolicy): string | undefined {
  if (!constrains(policy)) return undefined;
  if (stated === undefined)
    return `the request states no appVersion, and ${policy.org} allows only versions its policy names`;
  if (policy.minVersion !== undefined && compareVersions(stated, policy.minVersion) < 0)
    return `app version ${stated} is below ${policy.org}'s minimum ${policy.minVersion}`;
  const denied = policy.denied.find((v) => compareVersions(stated, v) === 0);
  if (denied !== undefined) return `app version ${stated} is denied by ${policy.org}'s policy (${denied})`;
  return undefined;
}
