// SPDX-License-Identifier: Apache-2.0
import { DIRECT_TRANSACTIONS, OPERATION_TABLE, qualifiedName, type TransactionRef } from '@medshare/protocol';
import { Harness } from './testing/harness';

/** The parts of fabric-contract-api's metadata (its `GetMetadata` answer) this test reads. */
interface ChaincodeMetadata {
  readonly contracts: Readonly<
    Record<
      string,
      {
        readonly name: string;
        readonly transactions: ReadonlyArray<{ readonly name: string; readonly tag?: readonly string[] }>;
      }
    >
  >;
}

/** fabric-contract-api's system contract, which every chaincode built on it carries. */
const SYSTEM_CONTRACT = 'org.hyperledger.fabric';

/**
 * `@Transaction()` is tagged ["SUBMIT", "submitTx"], `@Transaction(false)` ["EVALUATE"]
 * (fabric-contract-api lib/annotations/transaction.js).
 */
function callOf(tag: readonly string[] | undefined): TransactionRef['call'] | undefined {
  if (tag?.includes('SUBMIT')) return 'submit';
  if (tag?.includes('EVALUATE')) return 'evaluate';
  return undefined;
}

describe('the operations table against the chaincode metadata (org.hyperledger.fabric:GetMetadata)', () => {
  let metadata: ChaincodeMetadata;
  beforeAll(async () => {
    const h = await Harness.create();
    metadata = JSON.parse((await h.evaluate(`${SYSTEM_CONTRACT}:GetMetadata`, [])).result) as ChaincodeMetadata;
  });

  /** Every transaction of the medshare contracts, as `contract:Transaction` → submit or evaluate. */
  function contractTransactions(): Record<string, TransactionRef['call'] | undefined> {
    return Object.fromEntries(
      Object.entries(metadata.contracts)
        .filter(([name]) => name !== SYSTEM_CONTRACT)
        .flatMap(([name, contract]) => contract.transactions.map((t) => [`${name}:${t.name}`, callOf(t.tag)] as const)),
    );
  }

  it('has the eight contracts and the system contract', () => {
    expect(Object.keys(metadata.contracts).sort()).toEqual([
      'access-lists',
      'app-policy',
      'audit',
      'files',
      'indicators',
      'layer-keys',
      'org.hyperledger.fabric',
      'records',
      'registry',
    ]);
  });

  it('every operation names a transaction of the chaincode, submitted or evaluated as the table says', () => {
    const transactions = contractTransactions();
    for (const [op, row] of Object.entries(OPERATION_TABLE)) {
      expect({ op, transaction: qualifiedName(row), call: transactions[qualifiedName(row)] }).toEqual({
        op,
        transaction: qualifiedName(row),
        call: row.call,
      });
    }
  });

  it('every transaction of the chaincode is an operation, or one of the transactions outside the signature chain', () => {
    const listed = [...Object.values(OPERATION_TABLE), ...Object.values(DIRECT_TRANSACTIONS)];
    const expected = Object.fromEntries(listed.map((ref: TransactionRef) => [qualifiedName(ref), ref.call]));
    expect(contractTransactions()).toEqual(expected);
    // No name is in both lists.
    expect(listed.length).toBe(Object.keys(expected).length);
  });
});
