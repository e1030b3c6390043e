// SPDX-License-Identifier: Apache-2.0
export { ChaincodeHost, type ContractClass } from './chaincode-host';
export { compareKeys, createCompositeKey, splitCompositeKey } from './composite-key';
export { DurableLedger, type LogFile } from './durable-ledger';
export { fabricIdentity, type ClientIdentityLike, type SimulatedIdentity } from './identity';
export {
  MemoryLedger,
  type CommittedEvent,
  type LoggerLike,
  type SimulatedContext,
  type TransactionResult,
} from './memory-ledger';
export {
  TransactionStub,
  type ChaincodeEvent,
  type Creator,
  type Invocation,
  type KV,
  type ReadWriteSet,
  type StateIterator,
  type StateStore,
  type VersionedValue,
} from './transaction-stub';
