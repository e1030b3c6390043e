import { MedshareContract } from './contract';

export { ACCESS_TICKET_TTL_MS, MedshareContract, TRANSACTION_BY_OP, type MedshareContractOptions } from './contract';
export { contractKeyFromPem, loadContractKey, type ContractKey } from './config/contract-key';
export { isOrgAdmin } from './identity/org-admin';
export { MemoryLedger, fabricIdentity, type CommittedEvent, type SimulatedContext, type TransactionResult } from './simulator/memory-ledger';
export { TransactionStub, type ClientIdentityLike, type KeyModification, type ReadWriteSet, type StateStore, type VersionedValue } from './simulator/ledger';
export { compareKeys, createCompositeKey, splitCompositeKey } from './simulator/keys';

/** fabric-chaincode-node looks for this export. */
export const contracts = [MedshareContract];
