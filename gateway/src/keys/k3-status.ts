// SPDX-License-Identifier: Apache-2.0
import { expectInteger, expectObject, expectString, fail, HEX_PUBLIC_KEY, parseJsonText } from '@medshare/protocol';
import type { PrivateKeyEntry } from './key-ring';

/**
 * How the ledger sees one K3 of the keys file:
 * - `active`: registered for this org with the same window, not retired (or retired later than now);
 * - `unregistered`: not on the ledger yet (an org admin registers it; usable as soon as they do);
 * - `retired`: retired on the ledger; never used to sign again;
 * - `window-mismatch`: registered with another window than the file says; not used, reported.
 */
export type K3Status = 'active' | 'unregistered' | 'retired' | 'window-mismatch';

export interface K3LedgerStatus {
  readonly status: K3Status;
  /** When the ledger retires (or retired) the key, Unix ms. */
  readonly retiredAt?: number;
  /** The window the ledger holds, when it differs from the file's. */
  readonly ledgerWindow?: { readonly notBefore: number; readonly notAfter: number };
}

export interface LedgerAccessKey {
  readonly keyId: string;
  readonly notBefore: number;
  readonly notAfter: number;
  readonly retiredAt?: number;
}

/** Parses the contract's `ListAccessKeys` answer (a JSON array of access-key states). */
export function parseLedgerAccessKeys(text: string): LedgerAccessKey[] {
  const value = parseJsonText(text, 'ListAccessKeys result', 1 << 20);
  if (!Array.isArray(value)) throw fail('INVALID_INPUT', 'ListAccessKeys result must be an array');
  return value.map((item: unknown, i: number) => {
    const o = expectObject(item, `ListAccessKeys[${i}]`, [
      'keyId',
      'publicKey',
      'org',
      'notBefore',
      'notAfter',
      'retiredAt',
    ]);
    expectString(o.publicKey, `ListAccessKeys[${i}].publicKey`, { pattern: HEX_PUBLIC_KEY });
    const retiredAt =
      o.retiredAt === undefined ? undefined : expectInteger(o.retiredAt, `ListAccessKeys[${i}].retiredAt`);
    return {
      keyId: expectString(o.keyId, `ListAccessKeys[${i}].keyId`, { pattern: /^[0-9a-f]{64}$/ }),
      notBefore: expectInteger(o.notBefore, `ListAccessKeys[${i}].notBefore`),
      notAfter: expectInteger(o.notAfter, `ListAccessKeys[${i}].notAfter`),
      ...(retiredAt === undefined ? {} : { retiredAt }),
    };
  });
}

/** Compares the keys file's K3s with the ledger's entries for this org (pure). */
export function reconcileK3(
  fileKeys: readonly PrivateKeyEntry[],
  ledgerKeys: readonly LedgerAccessKey[],
  now: number,
): Map<string, K3LedgerStatus> {
  const byId = new Map(ledgerKeys.map((k) => [k.keyId, k] as const));
  const statuses = new Map<string, K3LedgerStatus>();
  for (const key of fileKeys) {
    const onLedger = byId.get(key.keyId);
    if (!onLedger) {
      statuses.set(key.keyId, { status: 'unregistered' });
    } else if (onLedger.retiredAt !== undefined && onLedger.retiredAt <= now) {
      statuses.set(key.keyId, { status: 'retired', retiredAt: onLedger.retiredAt });
    } else if (onLedger.notBefore !== key.notBefore || onLedger.notAfter !== key.notAfter) {
      statuses.set(key.keyId, {
        status: 'window-mismatch',
        ledgerWindow: { notBefore: onLedger.notBefore, notAfter: onLedger.notAfter },
      });
    } else {
      statuses.set(key.keyId, {
        status: 'active',
        ...(onLedger.retiredAt === undefined ? {} : { retiredAt: onLedger.retiredAt }),
      });
    }
  }
  return statuses;
}
