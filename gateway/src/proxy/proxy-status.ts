// SPDX-License-Identifier: Apache-2.0
/**
 * How the ledger sees the proxies a gateway hosts (its config's `proxies.hosted`), checked at
 * start. A gateway that is its own org admin (the embedded runtime) registers the missing ones;
 * on Fabric an org admin registers them with scripts/admin/register-proxy.sh, and the gateway
 * only reports: a hosted proxy that is not registered for its org can never be named in a share.
 */
import {
  expectInteger,
  expectObject,
  expectString,
  fail,
  HEX64,
  HEX_PUBLIC_KEY,
  parseJsonText,
} from '@medshare/protocol';
import type { LedgerBackend } from '../ledger/backend';
import type { ProxyKey } from './proxy';

/**
 * - `active`: registered for this gateway's org, not retired;
 * - `unregistered`: not on the ledger (shares cannot name it until an org admin registers it);
 * - `retired`: retired on the ledger; it serves no share any more (remove it from the config);
 * - `other-org`: registered by another org (a key copied between gateways' configs).
 */
export type HostedProxyStatus = 'active' | 'unregistered' | 'retired' | 'other-org';

export interface LedgerProxy {
  readonly proxyId: string;
  readonly publicKey: string;
  readonly org: string;
  readonly registeredAt: number;
  readonly retiredAt?: number;
}

/** Parses the contract's `ListProxies` answer (a JSON array of proxy states). */
export function parseLedgerProxies(text: string): LedgerProxy[] {
  const value = parseJsonText(text, 'ListProxies result', 1 << 20);
  if (!Array.isArray(value)) throw fail('INVALID_INPUT', 'ListProxies result must be an array');
  return value.map((item: unknown, i: number) => {
    const name = `ListProxies[${i}]`;
    const o = expectObject(item, name, ['proxyId', 'publicKey', 'org', 'registeredAt', 'retiredAt']);
    return {
      proxyId: expectString(o.proxyId, `${name}.proxyId`, { pattern: HEX64 }),
      publicKey: expectString(o.publicKey, `${name}.publicKey`, { pattern: HEX_PUBLIC_KEY }),
      org: expectString(o.org, `${name}.org`, { maxLength: 64 }),
      registeredAt: expectInteger(o.registeredAt, `${name}.registeredAt`),
      ...(o.retiredAt === undefined ? {} : { retiredAt: expectInteger(o.retiredAt, `${name}.retiredAt`) }),
    };
  });
}

/** Each hosted proxy's status on the ledger (pure). */
export function hostedProxyStatuses(
  hosted: readonly Pick<ProxyKey, 'proxyId'>[],
  ledger: readonly LedgerProxy[],
  org: string,
): Map<string, HostedProxyStatus> {
  const byId = new Map(ledger.map((p) => [p.proxyId, p] as const));
  return new Map(
    hosted.map((key) => {
      const entry = byId.get(key.proxyId);
      const status: HostedProxyStatus = !entry
        ? 'unregistered'
        : entry.org !== org
          ? 'other-org'
          : entry.retiredAt !== undefined
            ? 'retired'
            : 'active';
      return [key.proxyId, status] as const;
    }),
  );
}

export interface ProxyCheckLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface ProxyCheckOptions {
  readonly hosted: readonly ProxyKey[];
  readonly ledger: Pick<LedgerBackend, 'listProxies'>;
  readonly org: string;
  readonly log: ProxyCheckLog;
  /** Registers an unregistered proxy (a gateway that is its own org admin); its failure rejects the check. */
  readonly register?: (key: ProxyKey) => Promise<unknown>;
}

const MESSAGES: Record<HostedProxyStatus, string> = {
  active: 'hosted re-encryption proxy registered on the ledger',
  unregistered:
    'hosted re-encryption proxy is not registered on the ledger: no share can name it until an org admin registers it (scripts/admin/register-proxy.sh ORG publicKey)',
  retired: 'hosted re-encryption proxy is retired on the ledger: it serves no share (remove it from proxies.hosted)',
  'other-org':
    'hosted re-encryption proxy is registered by another org: this gateway holds a key that org registered (a copied key?); use a key of its own org',
};

/**
 * Compares the hosted proxies with the ledger, registers the missing ones when it can, and logs
 * each one's status. Resolves with the statuses, or undefined when the ledger cannot be read now
 * (logged; a gateway starts whatever its proxies' state, as it does for its K3s).
 */
export async function checkHostedProxies(
  options: ProxyCheckOptions,
): Promise<ReadonlyMap<string, HostedProxyStatus> | undefined> {
  const { hosted, ledger, org, log, register } = options;
  if (hosted.length === 0) return new Map();
  const read = async (): Promise<Map<string, HostedProxyStatus> | undefined> => {
    try {
      return hostedProxyStatuses(hosted, parseLedgerProxies(await ledger.listProxies()), org);
    } catch (error) {
      log.warn({ err: error }, 'cannot compare the hosted re-encryption proxies with the ledger now');
      return undefined;
    }
  };
  let statuses = await read();
  if (!statuses) return undefined;
  const missing = hosted.filter((k) => statuses?.get(k.proxyId) === 'unregistered');
  if (register && missing.length > 0) {
    for (const key of missing) await register(key);
    statuses = await read();
    if (!statuses) return undefined;
  }
  for (const key of hosted) {
    const status = statuses.get(key.proxyId) as HostedProxyStatus;
    const fields = { proxyId: key.proxyId, publicKey: key.publicKey, org, status };
    if (status === 'active') log.info(fields, MESSAGES[status]);
    else log.warn(fields, MESSAGES[status]);
  }
  return statuses;
}
