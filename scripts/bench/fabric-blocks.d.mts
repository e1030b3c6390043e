// SPDX-License-Identifier: Apache-2.0
// Types of fabric-blocks.mjs, for the tests that import it (test/integration/fabric-profile-summary.test.ts).
import type { common } from '@hyperledger/fabric-protos';
export interface TxStats {
  chaincode: string;
  validation: string;
  envelopeBytes: number;
  proposalInputBytes: number;
  rwsetBytes: number;
  eventBytes: number;
  responseBytes: number;
  endorsements: number;
  endorsementBytes: number;
  namespaces: string[];
  reads: number;
  writes: number;
  rangeQueries: number;
  metadataWrites: number;
  writtenValueBytes: number;
}
export interface BlocksSummary {
  blocks: number;
  txs: number;
  txsPerBlock: number;
  blockBytesPerTx: number;
  namespaces: string[];
  validation: Record<string, number>;
  mean: Record<string, number>;
}
export declare function blockTransactions(block: common.Block): TxStats[];
export declare function summarizeBlocks(blocks: common.Block[], chaincode: string): BlocksSummary;
