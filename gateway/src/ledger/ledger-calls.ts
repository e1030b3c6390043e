// SPDX-License-Identifier: Apache-2.0
import {
  canonicalize,
  DIRECT_TRANSACTIONS,
  OPERATION_TABLE,
  qualifiedName,
  type ContractEnvelope,
  type TransactionRef,
} from '@medshare/protocol';
import type { AccessKeyRegistration } from './backend';

/**
 * One Fabric call: the qualified transaction, its string arguments, submitted or evaluated.
 * What the backends execute; built only here, from the protocol's tables.
 */
export interface LedgerCall {
  readonly transaction: string;
  readonly args: readonly string[];
  readonly call: TransactionRef['call'];
}

function direct(ref: TransactionRef, args: readonly string[]): LedgerCall {
  return { transaction: qualifiedName(ref), args, call: ref.call };
}

/** A signature-chain operation: the envelope as one JSON text argument (docs/protocol.md §7.2). */
export function operationCall(envelope: ContractEnvelope): LedgerCall {
  return direct(OPERATION_TABLE[envelope.request.op], [canonicalize(envelope)]);
}

/** The transactions outside the signature chain, with their arguments as the contracts take them (§7.5). */
export const directCalls = {
  getUser: (keyId: string): LedgerCall => direct(DIRECT_TRANSACTIONS.getUser, [keyId]),
  listAccessKeys: (mspId: string): LedgerCall => direct(DIRECT_TRANSACTIONS.listAccessKeys, [mspId]),
  approveUser: (keyId: string): LedgerCall => direct(DIRECT_TRANSACTIONS.approveUser, [keyId]),
  registerAccessKey: (k: AccessKeyRegistration): LedgerCall =>
    direct(DIRECT_TRANSACTIONS.registerAccessKey, [k.publicKey, String(k.notBefore), String(k.notAfter)]),
  // "" asks the contract for the transaction's own time.
  retireAccessKey: (keyId: string, at?: number): LedgerCall =>
    direct(DIRECT_TRANSACTIONS.retireAccessKey, [keyId, at === undefined ? '' : String(at)]),
  adminAuditTrail: (recordId: string, pageSize: number, bookmark: string): LedgerCall =>
    direct(DIRECT_TRANSACTIONS.adminAuditTrail, [recordId, String(pageSize), bookmark]),
  registerProxy: (publicKey: string): LedgerCall => direct(DIRECT_TRANSACTIONS.registerProxy, [publicKey]),
  listProxies: (): LedgerCall => direct(DIRECT_TRANSACTIONS.listProxies, []),
  getShareForProxy: (fileId: string, receiverKeyId: string, proxyId: string): LedgerCall =>
    direct(DIRECT_TRANSACTIONS.getShareForProxy, [fileId, receiverKeyId, proxyId]),
  getAppPolicy: (mspId: string): LedgerCall => direct(DIRECT_TRANSACTIONS.getAppPolicy, [mspId]),
  setAppPolicy: (minVersion: string, denied: string): LedgerCall =>
    direct(DIRECT_TRANSACTIONS.setAppPolicy, [minVersion, denied]),
} as const;
