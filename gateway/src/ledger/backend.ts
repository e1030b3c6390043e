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

export { TRANSACTION_BY_OP } from '@medshare/chaincode';
