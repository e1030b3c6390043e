// SPDX-License-Identifier: Apache-2.0
import { fail, MedshareError, parseCodedMessage } from '@medshare/protocol';
import { JSONSerializer, type Contract } from 'fabric-contract-api';
import type { SimulatedIdentity } from './identity';
import type { MemoryLedger, TransactionResult } from './memory-ledger';
import type { TransactionStub } from './transaction-stub';

/** A contract class as fabric-chaincode-node loads it from a chaincode's `contracts` export. */
export type ContractClass = new () => Contract;

interface ChaincodeResponse {
  readonly status: number;
  readonly message?: string;
  readonly payload?: Uint8Array;
}

interface ChaincodeFromContract {
  Invoke(stub: TransactionStub): Promise<ChaincodeResponse>;
}

/**
 * fabric-shim's own router from a proposal to a contract (contract-spi/chaincodefromcontract.js,
 * what `fabric-chaincode-node start|server` runs): it splits `contract:Transaction`, builds the
 * contract's context (createContext, then the stub and a ClientIdentity parsed from the
 * creator's certificate), looks the transaction up in the decorators' metadata, marshals the
 * arguments, runs beforeTransaction / aroundTransaction / afterTransaction, and sends unknown
 * names to unknownTransaction. Not part of fabric-shim's typed API, hence the require; the
 * version is pinned with fabric-shim (2.5).
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const ChaincodeFromContractClass = require('fabric-shim/lib/contract-spi/chaincodefromcontract.js') as new (
  contracts: ContractClass[],
  serializers: unknown,
  metadata: object,
  title: string,
  version: string,
) => ChaincodeFromContract;

// The router logs every refused transaction at error level, with its message; on a peer that is
// the chaincode server's log. Hosted in-process, a refusal is the caller's answer (and the
// contracts log their own through ctx.logging), so the router's logger is silenced.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const shimLogger = require('fabric-shim/lib/logger.js') as { getLogger(name: string): { silent: boolean } };
shimLogger.getLogger('contracts-spi/chaincodefromcontract.js').silent = true;

/** fabric-chaincode-node's default serialization (contract-spi/bootstrap.js). */
const SERIALIZERS = { transaction: 'jsonSerializer', serializers: { jsonSerializer: JSONSerializer } };

/**
 * A chaincode hosted in-process, dispatched exactly as on a peer: the same contracts array a
 * chaincode exports to Fabric, the same router, the simulator's stub in place of the peer's.
 * A refused transaction's message (`CODE: text`, as the peer returns it) becomes its coded error.
 */
export class ChaincodeHost {
  readonly #chaincode: ChaincodeFromContract;

  constructor(contracts: readonly ContractClass[], info: { readonly title: string; readonly version: string }) {
    // The router appends its system contract (org.hyperledger.fabric) to the array it is given.
    this.#chaincode = new ChaincodeFromContractClass([...contracts], SERIALIZERS, {}, info.title, info.version);
  }

  /** Endorse and commit `fcn` (`contract:Transaction`) with `args`, as `identity`. */
  submit(
    ledger: MemoryLedger,
    identity: SimulatedIdentity,
    fcn: string,
    args: readonly string[],
  ): Promise<TransactionResult<string>> {
    return ledger.submit(identity, (ctx) => this.invoke(ctx.stub), { fcn, args });
  }

  /** Run `fcn` read-only, as an evaluation on one peer. */
  evaluate(
    ledger: MemoryLedger,
    identity: SimulatedIdentity,
    fcn: string,
    args: readonly string[],
  ): Promise<TransactionResult<string>> {
    return ledger.evaluate(identity, (ctx) => this.invoke(ctx.stub), { fcn, args });
  }

  /** Runs the stub's invocation through the router; the payload as text, or the refusal as an error. */
  async invoke(stub: TransactionStub): Promise<string> {
    const response = await this.#chaincode.Invoke(stub);
    if (response.status === 200) return Buffer.from(response.payload ?? new Uint8Array(0)).toString('utf8');
    const message = response.message ?? '';
    const coded = parseCodedMessage(message);
    if (coded) throw new MedshareError({ code: coded.code, message: coded.message, context: { txId: stub.getTxID() } });
    throw fail('INTERNAL', `chaincode refused transaction ${stub.getTxID()} without a code`, new Error(message));
  }
}
