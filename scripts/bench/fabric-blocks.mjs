// SPDX-License-Identifier: Apache-2.0
// What a committed transaction weighs, from the blocks themselves (bench:fabric-profile): for each
// endorser transaction of a block, its envelope's size and the parts of it — the proposal's
// chaincode input, the read/write set (keys read, written, range queries), the chaincode's
// events and response, the endorsements — and its validation code (the block's
// TRANSACTIONS_FILTER metadata). Decoded with @hyperledger/fabric-protos (Apache-2.0, the
// protobuf classes @hyperledger/fabric-gateway depends on).
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { common, ledger, peer } = require('@hyperledger/fabric-protos');

const ENDORSER_TRANSACTION = common.HeaderType.ENDORSER_TRANSACTION;
const VALIDATION_NAMES = Object.fromEntries(Object.entries(peer.TxValidationCode).map(([k, v]) => [v, k]));

/** Keys read, written, range queries and metadata writes of a TxReadWriteSet, over its namespaces. */
function rwsetCounts(bytes) {
  const counts = { namespaces: [], reads: 0, writes: 0, rangeQueries: 0, metadataWrites: 0, writtenValueBytes: 0 };
  for (const ns of ledger.rwset.TxReadWriteSet.deserializeBinary(bytes).getNsRwsetList()) {
    const kv = ledger.rwset.kvrwset.KVRWSet.deserializeBinary(ns.getRwset_asU8());
    counts.namespaces.push(ns.getNamespace());
    counts.reads += kv.getReadsList().length;
    counts.writes += kv.getWritesList().length;
    counts.rangeQueries += kv.getRangeQueriesInfoList().length;
    counts.metadataWrites += kv.getMetadataWritesList().length;
    for (const w of kv.getWritesList()) counts.writtenValueBytes += w.getValue_asU8().length;
  }
  return counts;
}

/** The endorser transactions of a common.Block, each with its sizes (bytes), rwset counts and validation code. */
export function blockTransactions(block) {
  const filter = block.getMetadata()?.getMetadataList_asU8()[common.BlockMetadataIndex.TRANSACTIONS_FILTER];
  const out = [];
  for (const [i, envelopeBytes] of block.getData().getDataList_asU8().entries()) {
    const payload = common.Payload.deserializeBinary(
      common.Envelope.deserializeBinary(envelopeBytes).getPayload_asU8(),
    );
    const channelHeader = common.ChannelHeader.deserializeBinary(payload.getHeader().getChannelHeader_asU8());
    if (channelHeader.getType() !== ENDORSER_TRANSACTION) continue;
    const tx = peer.Transaction.deserializeBinary(payload.getData_asU8());
    const actionPayload = peer.ChaincodeActionPayload.deserializeBinary(tx.getActionsList()[0].getPayload_asU8());
    const endorsed = actionPayload.getAction();
    const prp = endorsed.getProposalResponsePayload_asU8();
    const action = peer.ChaincodeAction.deserializeBinary(
      peer.ProposalResponsePayload.deserializeBinary(prp).getExtension_asU8(),
    );
    const results = action.getResults_asU8();
    const code = filter && filter.length > i ? filter[i] : undefined;
    out.push({
      chaincode: action.getChaincodeId()?.getName() ?? '',
      validation: code === undefined ? 'UNKNOWN' : (VALIDATION_NAMES[code] ?? String(code)),
      envelopeBytes: envelopeBytes.length,
      proposalInputBytes: actionPayload.getChaincodeProposalPayload_asU8().length,
      rwsetBytes: results.length,
      eventBytes: action.getEvents_asU8().length,
      responseBytes: action.getResponse()?.getPayload_asU8().length ?? 0,
      endorsements: endorsed.getEndorsementsList().length,
      endorsementBytes: endorsed
        .getEndorsementsList()
        .reduce((s, e) => s + e.getEndorser_asU8().length + e.getSignature_asU8().length, 0),
      ...rwsetCounts(results),
    });
  }
  return out;
}

const AVERAGED = [
  'envelopeBytes',
  'proposalInputBytes',
  'rwsetBytes',
  'eventBytes',
  'responseBytes',
  'endorsements',
  'endorsementBytes',
  'reads',
  'writes',
  'rangeQueries',
  'metadataWrites',
  'writtenValueBytes',
];

/**
 * Averages over the transactions of `chaincode` in `blocks` (common.Block), with the blocks'
 * serialized bytes per such transaction, transactions per block and validation codes counted.
 */
export function summarizeBlocks(blocks, chaincode) {
  const txs = [];
  let blockBytes = 0;
  let allTxs = 0;
  for (const block of blocks) {
    const all = blockTransactions(block);
    const mine = all.filter((t) => t.chaincode === chaincode);
    txs.push(...mine);
    allTxs += block.getData().getDataList().length;
    // A block's bytes are charged to the chaincode's transactions in proportion to their share.
    if (all.length) blockBytes += (block.serializeBinary().length * mine.length) / all.length;
  }
  const n = txs.length;
  const mean = Object.fromEntries(AVERAGED.map((k) => [k, n ? txs.reduce((s, t) => s + t[k], 0) / n : 0]));
  const validation = {};
  for (const t of txs) validation[t.validation] = (validation[t.validation] ?? 0) + 1;
  return {
    blocks: blocks.length,
    txs: n,
    txsPerBlock: blocks.length ? allTxs / blocks.length : 0,
    blockBytesPerTx: n ? blockBytes / n : 0,
    namespaces: [...new Set(txs.flatMap((t) => t.namespaces))],
    validation,
    mean,
  };
}
