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

/** The org admin's transactions, for a gateway that is its own org admin (the embedded runtime). */
export interface OrgAdminLedger {
  submitAsAdmin(transaction: string, args: readonly string[]): Promise<string>;
  evaluateAsAdmin(transaction: string, args: readonly string[]): Promise<string>;
}

/** The one interface the gateway talks to; embedded and Fabric implement it. */
export interface LedgerBackend {
  readonly kind: 'embedded' | 'fabric';
  /** Endorse, order and commit; resolves with the contract's result once committed. */
  submit(transaction: string, args: readonly string[]): Promise<string>;
  /** Run read-only on one peer; nothing is written. */
  evaluate(transaction: string, args: readonly string[]): Promise<string>;
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

export { TRANSACTION_BY_OP } from '@medshare/chaincode';
