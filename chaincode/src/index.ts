// SPDX-License-Identifier: Apache-2.0
import { AccessListsContract } from './contracts/access-lists/contract';
import { AppPolicyContract } from './contracts/app-policy/contract';
import { AuditContract } from './contracts/audit/contract';
import type { MedshareBaseContract, MedshareContractOptions } from './contracts/base-contract';
import { FilesContract } from './contracts/files/contract';
import { IndicatorsContract } from './contracts/indicators/contract';
import { LayerKeysContract } from './contracts/layer-keys/contract';
import { RecordsContract } from './contracts/records/contract';
import { RegistryContract } from './contracts/registry/contract';
import { gateShimLogs } from './logging/shim-log-gate';

// Loaded by fabric-chaincode-node (or a host such as the embedded runtime) before any
// transaction: fabric-shim's loggers stop formatting the lines their level drops.
gateShimLogs();

export {
  AccessListsContract,
  AppPolicyContract,
  AuditContract,
  FilesContract,
  IndicatorsContract,
  LayerKeysContract,
  RecordsContract,
  RegistryContract,
  type MedshareContractOptions,
};
export { contractKeyFromPem, type ContractKey } from './config/contract-key';

/** The chaincode's contracts, as Fabric addresses them: `registry:Register`, `records:Upload`, … */
const CONTRACTS = [
  RegistryContract,
  LayerKeysContract,
  RecordsContract,
  AuditContract,
  FilesContract,
  AccessListsContract,
  AppPolicyContract,
  IndicatorsContract,
] as const;

/** fabric-chaincode-node looks for this export (K4 from the process configuration). */
export const contracts: Array<new () => MedshareBaseContract> = [...CONTRACTS];

/** The chaincode's title and version in its metadata (package.json, as fabric-chaincode-node reads them). */
export const CHAINCODE_INFO = { title: '@medshare/chaincode', version: '0.1.0' } as const;

/**
 * The same contracts with K4 given rather than read from the environment, for a runtime that
 * hosts the chaincode itself (the embedded ledger): fabric-shim's router constructs contract
 * classes without arguments. Each keeps its class name, which keys its @Info metadata.
 */
export function contractsWith(options: MedshareContractOptions): Array<new () => MedshareBaseContract> {
  return CONTRACTS.map((Contract: new (options: MedshareContractOptions) => MedshareBaseContract) => {
    const Bound = class extends Contract {
      constructor() {
        super(options);
      }
    };
    Object.defineProperty(Bound, 'name', { value: Contract.name });
    return Bound;
  });
}
