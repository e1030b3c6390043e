// SPDX-License-Identifier: Apache-2.0
import { assertPublicKey, privateKeyFromPem, publicKeyFromPrivate } from '@medshare/crypto/sm2';
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import type { K3LedgerStatus } from './k3-status';
import {
  APP_ID,
  HEX_PUBLIC_KEY,
  expectInteger,
  expectObject,
  expectString,
  environmentError,
  fail,
  keyIdOf,
  type SigningKey,
} from '@medshare/protocol';

export interface ValidityWindow {
  readonly notBefore: number;
  readonly notAfter: number;
}

export interface PublicKeyEntry extends ValidityWindow {
  readonly keyId: string;
  readonly publicKey: string;
}

export interface PrivateKeyEntry extends PublicKeyEntry, SigningKey {}

export interface AppEntry {
  readonly appId: string;
  /** Addresses or CIDRs the app may call from (claim 9). */
  readonly allow: readonly string[];
  readonly keys: ReadonlyMap<string, PublicKeyEntry>;
}

/**
 * All key material the access layer uses, loaded from one JSON file and replaced whole on
 * reload, so rotation needs no restart: add the new key with an overlapping window, reload,
 * later remove the old one. Private keys live in their own PEM files; this object holds them in
 * memory only and never serializes or logs them.
 */
export class KeyRing {
  /** The ledger's view of each K3 (k3-status.ts), applied by the access-key reconciliation. */
  #ledgerStatus: ReadonlyMap<string, K3LedgerStatus> = new Map();

  private constructor(
    readonly apps: ReadonlyMap<string, AppEntry>,
    readonly k3: readonly PrivateKeyEntry[],
    readonly k4: ReadonlyMap<string, PublicKeyEntry>,
  ) {}

  static load(path: string): KeyRing {
    let value: unknown;
    try {
      value = JSON.parse(readFileSync(path, 'utf8'));
    } catch (cause) {
      throw fail('INVALID_INPUT', `cannot read keys file ${path}`, cause);
    }
    return KeyRing.parse(value, dirname(path));
  }

  static parse(value: unknown, base: string): KeyRing {
    const o = expectObject(value, 'keys', ['apps', 'k3', 'k4']);
    if (!Array.isArray(o.apps) || !Array.isArray(o.k3) || !Array.isArray(o.k4))
      throw fail('INVALID_INPUT', 'keys.apps, keys.k3 and keys.k4 must be arrays');
    const apps = new Map<string, AppEntry>();
    o.apps.forEach((a: unknown, i: number) => {
      const app = expectObject(a, `keys.apps[${i}]`, ['appId', 'allow', 'keys']);
      const appId = expectString(app.appId, `keys.apps[${i}].appId`, { pattern: APP_ID });
      if (!Array.isArray(app.allow) || !Array.isArray(app.keys))
        throw fail('INVALID_INPUT', `keys.apps[${i}].allow and .keys must be arrays`);
      const keys = new Map(
        app.keys
          .map((k: unknown, j: number) => publicEntry(k, `keys.apps[${i}].keys[${j}]`))
          .map((e) => [e.keyId, e] as const),
      );
      apps.set(appId, {
        appId,
        allow: app.allow.map((c: unknown, j: number) =>
          expectString(c, `keys.apps[${i}].allow[${j}]`, { pattern: /^[0-9a-fA-F.:]+(\/[0-9]{1,3})?$/ }),
        ),
        keys,
      });
    });
    const k3 = o.k3.map((k: unknown, i: number) => privateEntry(k, `keys.k3[${i}]`, base));
    if (k3.length === 0) throw fail('INVALID_INPUT', 'keys.k3 must hold at least one access-layer key');
    const k4 = new Map(
      o.k4.map((k: unknown, i: number) => publicEntry(k, `keys.k4[${i}]`)).map((e) => [e.keyId, e] as const),
    );
    return new KeyRing(apps, k3, k4);
  }

  /** Records how the ledger sees this ring's K3s; retired and mismatched keys stop signing. */
  applyLedgerStatus(statuses: ReadonlyMap<string, K3LedgerStatus>): void {
    this.#ledgerStatus = statuses;
  }

  ledgerStatus(keyId: string): K3LedgerStatus | undefined {
    return this.#ledgerStatus.get(keyId);
  }

  /** K3s that may sign at `now`: in their window, not retired by then, not mismatched on the ledger. */
  usableK3(now: number, except?: string): PrivateKeyEntry[] {
    return this.k3.filter((k) => {
      if (k.keyId === except || !within(k, now)) return false;
      const status = this.#ledgerStatus.get(k.keyId);
      if (status?.status === 'retired' || status?.status === 'window-mismatch') return false;
      return status?.retiredAt === undefined || now < status.retiredAt;
    });
  }

  /** The K3 that signs now: among the usable ones, the one that became valid last. */
  signingK3(now: number): PrivateKeyEntry {
    const key = this.usableK3(now).sort((a, b) => b.notBefore - a.notBefore)[0];
    if (!key)
      throw environmentError(
        'keys-valid',
        'ACCESS_KEY_NOT_VALID',
        'this access layer has no usable K3 now: every key in its keys file is retired, mismatched on the ledger or outside its window',
      );
    return key;
  }

  appKey(appId: string, k2Id: string, now: number): PublicKeyEntry {
    const app = this.apps.get(appId);
    if (!app) throw fail('UNKNOWN_APP', `app ${appId} is not registered with this access layer`);
    const key = app.keys.get(k2Id);
    if (!key || !within(key, now))
      throw environmentError(
        'keys-valid',
        'APP_KEY_NOT_VALID',
        `K2 ${k2Id} of ${appId} is unknown, retired or outside its window`,
      );
    return key;
  }

  contractKey(k4Id: string, at: number): PublicKeyEntry {
    const key = this.k4.get(k4Id);
    if (!key || !within(key, at)) throw fail('CONTRACT_KEY_NOT_VALID', `K4 ${k4Id} is unknown or outside its window`);
    return key;
  }

  /** What may be shown (GET /v1/keys): public halves, windows, and each K3's ledger status. */
  publicView(): { k3: Array<PublicKeyEntry & { status?: string; retiredAt?: number }>; k4: PublicKeyEntry[] } {
    const strip = ({ keyId, publicKey, notBefore, notAfter }: PublicKeyEntry): PublicKeyEntry => ({
      keyId,
      publicKey,
      notBefore,
      notAfter,
    });
    return {
      k3: this.k3.map((k) => {
        const ledger = this.#ledgerStatus.get(k.keyId);
        return {
          ...strip(k),
          ...(ledger ? { status: ledger.status } : {}),
          ...(ledger?.retiredAt === undefined ? {} : { retiredAt: ledger.retiredAt }),
        };
      }),
      k4: [...this.k4.values()].map(strip),
    };
  }
}

function within(window: ValidityWindow, now: number): boolean {
  return now >= window.notBefore && now <= window.notAfter;
}

function windowOf(o: Record<string, unknown>, name: string): ValidityWindow {
  const notBefore = expectInteger(o.notBefore, `${name}.notBefore`);
  const notAfter = expectInteger(o.notAfter, `${name}.notAfter`);
  if (notAfter <= notBefore) throw fail('INVALID_INPUT', `${name}.notAfter must be after notBefore`);
  return { notBefore, notAfter };
}

function publicEntry(value: unknown, name: string): PublicKeyEntry {
  const o = expectObject(value, name, ['publicKey', 'notBefore', 'notAfter']);
  const publicKey = expectString(o.publicKey, `${name}.publicKey`, { pattern: HEX_PUBLIC_KEY });
  try {
    assertPublicKey(publicKey);
  } catch {
    throw fail('INVALID_INPUT', `${name}.publicKey is not on the SM2 curve`);
  }
  return { keyId: keyIdOf(publicKey), publicKey, ...windowOf(o, name) };
}

function privateEntry(value: unknown, name: string, base: string): PrivateKeyEntry {
  const o = expectObject(value, name, ['keyFile', 'notBefore', 'notAfter']);
  const path = expectString(o.keyFile, `${name}.keyFile`, { maxLength: 1024 });
  let privateKey: string;
  try {
    privateKey = privateKeyFromPem(readFileSync(isAbsolute(path) ? path : resolve(base, path), 'utf8'));
  } catch (cause) {
    throw fail('INVALID_INPUT', `${name}.keyFile is not a readable SM2 PKCS#8 PEM`, cause);
  }
  const publicKey = publicKeyFromPrivate(privateKey);
  return { keyId: keyIdOf(publicKey), publicKey, privateKey, ...windowOf(o, name) };
}
