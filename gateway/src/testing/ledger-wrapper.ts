// SPDX-License-Identifier: Apache-2.0
import type { ContractEnvelope } from '@medshare/protocol';
import type { LedgerBackend } from '../ledger/backend';

/** A ledger that forwards every call to `inner` except those `overrides` replace (a test's faulty or tampering ledger). */
export function ledgerWith(inner: LedgerBackend, overrides: Partial<LedgerBackend>): LedgerBackend {
  return {
    kind: inner.kind,
    orgAdmin: () => inner.orgAdmin(),
    ready: () => inner.ready(),
    close: () => inner.close(),
    getUser: (k) => inner.getUser(k),
    getAppPolicy: (m) => inner.getAppPolicy(m),
    listAccessKeys: (m) => inner.listAccessKeys(m),
    listProxies: () => inner.listProxies(),
    getShareForProxy: (f, r, p) => inner.getShareForProxy(f, r, p),
    chaincodeEvents: (o) => inner.chaincodeEvents(o),
    run: (envelope) => inner.run(envelope),
    ...overrides,
  };
}

/** `inner` with its `run` replaced (tests: count, fail or tamper with signature-chain calls). */
export function withRun(inner: LedgerBackend, run: (envelope: ContractEnvelope) => Promise<string>): LedgerBackend {
  return ledgerWith(inner, { run });
}
