// SPDX-License-Identifier: Apache-2.0
import type { ContractEnvelope } from '@medshare/protocol';

/** A committed chaincode event, as fabric-gateway's `ChaincodeEvent` gives it. */
export interface LedgerEvent {
  readonly blockNumber: bigint;
  readonly transactionId: string;
  readonly eventName: string;
  readonly payload: Uint8Array;
}

/** Where to resume (fabric-gateway's `Checkpoint`): after `transactionId` in `blockNumber`, or at `blockNumber`. */
export interface EventCheckpoint {
  getBlockNumber(): bigint | undefined;
  getTransactionId(): string | undefined;
}

/** fabric-gateway's `CloseableAsyncIterable`: closing ends the iteration and releases the stream. */
export interface EventStream extends AsyncIterable<LedgerEvent> {
  close(): void;
}

export interface EventStreamOptions {
  /** The checkpoint's position wins when it has one; otherwise reading starts at `startBlock`. */
  readonly checkpoint: EventCheckpoint;
  readonly startBlock: bigint;
}

/** An access-layer key (K3) to register for the org: its public key and validity window (Unix ms). */
export interface AccessKeyRegistration {
  readonly publicKey: string;
  readonly notBefore: number;
  readonly notAfter: number;
}

/**
 * The org admin's transactions, for a gateway that is its own org admin (the embedded runtime).
 * Each resolves with the contract's JCS answer (docs/protocol.md §7.5).
 */
export interface OrgAdminLedger {
  /** `registry:ApproveUser`: a pending doctor or institution becomes active. */
  approveUser(keyId: string): Promise<string>;
  /** `layer-keys:RegisterAccessKey` for the admin's org. */
  registerAccessKey(key: AccessKeyRegistration): Promise<string>;
  /** `layer-keys:RetireAccessKey` at `at` (Unix ms), or now (the transaction's time). */
  retireAccessKey(keyId: string, at?: number): Promise<string>;
  /** `audit:AdminAuditTrail`: one page of a record's audit trail, for an admin of its upload org. */
  adminAuditTrail(recordId: string, pageSize: number, bookmark: string): Promise<string>;
  /** `files:RegisterProxy` for the admin's org (idempotent): a re-encryption proxy's SM2 key. */
  registerProxy(publicKey: string): Promise<string>;
  /** `files:ListProxies`, as the admin. */
  listProxies(): Promise<string>;
  /** `app-policy:SetAppPolicy` for the admin's org: `minVersion` or `""`, `denied` comma-separated or `""`. */
  setAppPolicy(minVersion: string, denied: string): Promise<string>;
}

/**
 * The one interface the gateway talks to; embedded and Fabric implement it. It speaks
 * operations, not transaction names: the operations table (protocol operations.ts) decides the
 * transaction and whether it is submitted or evaluated.
 */
export interface LedgerBackend {
  readonly kind: 'embedded' | 'fabric';
  /**
   * Runs the envelope's operation: submitted operations are endorsed, ordered and committed
   * (resolving once committed, MVCC conflicts retried), evaluated ones run on one peer. Resolves
   * with the contract's output text (`ContractOutput`, JCS).
   */
  run(envelope: ContractEnvelope): Promise<string>;
  /** `registry:GetUser` (evaluated): a user's directory entry, as the contract's JCS text. */
  getUser(keyId: string): Promise<string>;
  /** `layer-keys:ListAccessKeys` (evaluated): an org's K3 entries, as the contract's JCS text. */
  listAccessKeys(mspId: string): Promise<string>;
  /** `files:ListProxies` (evaluated): every registered proxy, as the contract's JCS text. */
  listProxies(): Promise<string>;
  /** `app-policy:GetAppPolicy` (evaluated): an org's app-version policy, as the contract's JCS text. */
  getAppPolicy(mspId: string): Promise<string>;
  /**
   * `files:GetShareForProxy` (evaluated, plain arguments): the share's public parts and that
   * proxy's sealed fragment, for a proxy this gateway hosts (docs/protocol.md §17).
   */
  getShareForProxy(fileId: string, receiverKeyId: string, proxyId: string): Promise<string>;
  /**
   * The contract's committed chaincode events in commit order, from a checkpoint, then live,
   * with Fabric's semantics (a transaction's one event, only once it is committed).
   */
  chaincodeEvents(options: EventStreamOptions): Promise<EventStream>;
  /** Throws LEDGER_UNAVAILABLE when the ledger cannot answer. */
  ready(): Promise<void>;
  close(): Promise<void>;
  /** The org admin's side, when this gateway holds the org admin's identity (embedded); on Fabric, undefined. */
  orgAdmin(): OrgAdminLedger | undefined;
}
