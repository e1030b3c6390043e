// SPDX-License-Identifier: Apache-2.0
import type { ContractEnvelope } from '@medshare/protocol';
import type { LedgerBackend } from '../ledger/backend';

/** `inner` with its `run` replaced (tests: count, fail or tamper with signature-chain calls); the rest passes through. */
export function withRun(inner: LedgerBackend, run: (envelope: ContractEnvelope) => Promise<string>): LedgerBackend {
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
    run,
  };
}
