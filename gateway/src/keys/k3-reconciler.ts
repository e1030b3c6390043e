// SPDX-License-Identifier: Apache-2.0
import type { LedgerBackend } from '../ledger/backend';
import type { AccessLayer } from '../pipeline/access-layer';
import { parseLedgerAccessKeys, reconcileK3, type K3LedgerStatus } from './k3-status';
import type { PrivateKeyEntry } from './key-ring';

export interface ReconcileLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface K3ReconcilerOptions {
  /**
   * Registers a K3 that the ledger does not know yet (the embedded runtime, which is its own
   * org admin). On Fabric an org admin registers keys with scripts/admin/; the gateway only reports.
   */
  readonly register?: (key: PrivateKeyEntry) => Promise<void>;
  readonly clock?: () => number;
}

/**
 * Compares the keys file's K3s with the ledger's entries for this org and applies the result to
 * the key ring: retired and mismatched keys stop signing, each reported once per change, and a
 * gateway with no usable K3 says so loudly. Never throws for a key's state: a rotation step, an
 * edited window or a restart after `kill -9` must never stop the gateway from starting.
 */
export class K3Reconciler {
  #reported = new Map<string, string>();
  readonly #clock: () => number;

  constructor(
    private readonly accessLayer: AccessLayer,
    private readonly ledger: LedgerBackend,
    private readonly org: string,
    private readonly log: ReconcileLog,
    private readonly options: K3ReconcilerOptions = {},
  ) {
    this.#clock = options.clock ?? Date.now;
  }

  /** One pass; rejects only when the ledger cannot be read (LEDGER_UNAVAILABLE and the like). */
  async run(): Promise<ReadonlyMap<string, K3LedgerStatus>> {
    const ring = this.accessLayer.keys;
    let statuses = reconcileK3(ring.k3, await this.#list(), this.#clock());
    const register = this.options.register;
    const missing = ring.k3.filter((k) => statuses.get(k.keyId)?.status === 'unregistered');
    if (register && missing.length > 0) {
      for (const key of missing) {
        try {
          await register(key);
        } catch (error) {
          this.log.warn({ err: error, k3Id: key.keyId }, 'could not register K3 on the ledger');
        }
      }
      statuses = reconcileK3(ring.k3, await this.#list(), this.#clock());
    }
    ring.applyLedgerStatus(statuses);
    this.#report(ring.k3, statuses);
    return statuses;
  }

  async #list(): Promise<ReturnType<typeof parseLedgerAccessKeys>> {
    return parseLedgerAccessKeys(await this.ledger.listAccessKeys(this.org));
  }

  #report(keys: readonly PrivateKeyEntry[], statuses: ReadonlyMap<string, K3LedgerStatus>): void {
    for (const key of keys) {
      const s = statuses.get(key.keyId);
      if (!s) continue;
      const summary = JSON.stringify(s);
      if (this.#reported.get(key.keyId) === summary) continue;
      this.#reported.set(key.keyId, summary);
      const fields = {
        k3Id: key.keyId,
        org: this.org,
        ...s,
        fileWindow: { notBefore: key.notBefore, notAfter: key.notAfter },
      };
      if (s.status === 'retired')
        this.log.warn(fields, 'K3 is retired on the ledger: skipped (remove it from the keys file)');
      else if (s.status === 'window-mismatch')
        this.log.warn(
          fields,
          "K3's window in the keys file differs from the ledger's: not used until they agree (fix the file, or register a new key)",
        );
      else if (s.status === 'unregistered')
        this.log.warn(
          fields,
          'K3 is not registered on the ledger for this org: requests it signs are refused until an org admin registers it',
        );
      else this.log.info(fields, 'K3 registered on the ledger');
    }
    if (this.accessLayer.keys.usableK3(this.#clock()).length === 0) {
      this.log.error(
        { org: this.org },
        'no usable K3: every sealed request will be refused until a valid, registered key is in the keys file',
      );
    }
  }
}
