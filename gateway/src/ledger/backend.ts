import type { Operation } from '@medshare/protocol';

/** The one interface the gateway talks to; embedded and Fabric implement it. */
export interface LedgerBackend {
  readonly kind: 'embedded' | 'fabric';
  /** Endorse, order and commit; resolves with the contract's result once committed. */
  submit(transaction: string, args: readonly string[]): Promise<string>;
  /** Run read-only on one peer; nothing is written. */
  evaluate(transaction: string, args: readonly string[]): Promise<string>;
  /** Throws LEDGER_UNAVAILABLE when the ledger cannot answer. */
  ready(): Promise<void>;
  close(): Promise<void>;
}

/** Contract transaction per protocol operation (chaincode/src/contract.ts). */
export const TRANSACTION_BY_OP: Readonly<Record<Operation, string>> = {
  register: 'Register',
  upload: 'Upload',
  grant: 'Grant',
  revoke: 'Revoke',
  view: 'View',
  read: 'Read',
  'list-records': 'ListRecords',
  'list-grants': 'ListGrants',
  audit: 'Audit',
};
