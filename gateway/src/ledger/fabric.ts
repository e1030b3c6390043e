import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { connect, hash, signers, type Gateway } from '@hyperledger/fabric-gateway';
import { fail, type MedshareError } from '@medshare/protocol';
import type { FabricLedgerConfig } from '../config/config';
import { toMedshareError, type LedgerStep } from '../errors/ledger-error';
import type { EventStream, EventStreamOptions, LedgerBackend } from './backend';
import { fabricChaincodeEvents } from './fabric-events';

/** gRPC call options the backend sets on every step: an absolute deadline (ms since the epoch). */
export interface StepOptions {
  readonly deadline: number;
}

/**
 * fabric-gateway's lower-level flow, narrowed to what the backend uses (Contract.newProposal,
 * Proposal.endorse/evaluate, Transaction.submit, Commit.getStatus), so tests can inject one.
 */
export interface FabricProposal {
  getTransactionId(): string;
  evaluate(options: StepOptions): Promise<Uint8Array>;
  endorse(options: StepOptions): Promise<FabricTransaction>;
}
export interface FabricTransaction {
  getResult(): Uint8Array;
  submit(options: StepOptions): Promise<FabricCommit>;
}
export interface FabricCommit {
  getStatus(options: StepOptions): Promise<{ readonly successful: boolean; readonly code: number }>;
}

/** What the Fabric backend needs from a connection: the narrow transport tests can replace. */
export interface FabricConnection {
  newProposal(transaction: string, args: readonly string[]): FabricProposal;
  /** The contract's chaincode events (fabric-events.ts); absent on connections that cannot follow. */
  readonly chaincodeEvents?: (options: EventStreamOptions) => Promise<EventStream>;
  close(): void;
}

/** One gRPC client per peer (STYLE.md rule 9); every call's deadline is set by the backend. */
export function connectFabric(config: FabricLedgerConfig, mspId: string): FabricConnection {
  const client = new grpc.Client(config.peerEndpoint, grpc.credentials.createSsl(readFileSync(config.tlsCaFile)), {
    'grpc.ssl_target_name_override': config.peerHostAlias,
  });
  const gateway: Gateway = connect({
    client,
    identity: { mspId, credentials: readFileSync(config.certFile) },
    signer: signers.newPrivateKeySigner(createPrivateKey(readFileSync(config.keyFile))),
    hash: hash.sha256,
  });
  const network = gateway.getNetwork(config.channel);
  const contract = network.getContract(config.chaincode);
  return {
    newProposal: (transaction, args) => contract.newProposal(transaction, { arguments: [...args] }),
    chaincodeEvents: fabricChaincodeEvents(network, config.chaincode),
    close() {
      gateway.close();
      client.close();
    },
  };
}

export type FabricDeadlines = FabricLedgerConfig['deadlinesMs'];

/**
 * The Fabric ledger backend. A submit is driven step by step (endorse → submit → commit status)
 * so that the transaction id is known before anything is sent for ordering, and a failure is
 * mapped with the step it happened in: before and at endorsement nothing was written; after it
 * the outcome is unknown (OUTCOME_UNKNOWN with the transaction id). Each step has its own
 * deadline, and the whole submit, MVCC retries included, stays within endorse + submit +
 * commitStatus from its start (config.ts keeps that below the HTTP request timeout), so no
 * Fabric call outlives the request that made it.
 */
export class FabricBackend implements LedgerBackend {
  readonly kind = 'fabric' as const;
  readonly #clock: () => number;

  constructor(
    private readonly connection: FabricConnection,
    private readonly options: { readonly deadlinesMs: FabricDeadlines; readonly mvccRetries: number },
    private readonly mspId: string,
    clock: () => number = Date.now,
  ) {
    this.#clock = clock;
  }

  static connect(config: FabricLedgerConfig, mspId: string): FabricBackend {
    return new FabricBackend(connectFabric(config, mspId), config, mspId);
  }

  /** The most a submit may take, retries included. */
  get submitBudgetMs(): number {
    const d = this.options.deadlinesMs;
    return d.endorse + d.submit + d.commitStatus;
  }

  async submit(transaction: string, args: readonly string[]): Promise<string> {
    const d = this.options.deadlinesMs;
    const end = this.#clock() + this.submitBudgetMs;
    let conflict: MedshareError | undefined;
    // MVCC conflicts mean another transaction won: retry with a new transaction (new id, new
    // read set), while a whole endorsement still fits in the budget.
    for (let attempt = 0; attempt <= this.options.mvccRetries; attempt++) {
      if (attempt > 0 && end - this.#clock() < d.endorse) break;
      try {
        return await this.#submitOnce(transaction, args, end);
      } catch (error) {
        const coded = error as MedshareError;
        if (coded.code !== 'CONFLICT') throw coded;
        conflict = coded;
      }
    }
    throw conflict ?? fail('CONFLICT', 'a concurrent transaction changed the same state');
  }

  async #submitOnce(transaction: string, args: readonly string[], end: number): Promise<string> {
    const d = this.options.deadlinesMs;
    const proposal = this.connection.newProposal(transaction, args);
    const txId = proposal.getTransactionId();
    const endorsed = await this.#step('endorse', txId, () => proposal.endorse({ deadline: this.#deadline(d.endorse, end) }));
    const commit = await this.#step('submit', txId, () => endorsed.submit({ deadline: this.#deadline(d.submit, end) }));
    const status = await this.#step('commitStatus', txId, () => commit.getStatus({ deadline: this.#deadline(d.commitStatus, end) }));
    if (!status.successful) throw toMedshareError({ name: 'CommitError', code: status.code, transactionId: txId }, 'commit', txId);
    return Buffer.from(endorsed.getResult()).toString('utf8');
  }

  async evaluate(transaction: string, args: readonly string[]): Promise<string> {
    const proposal = this.connection.newProposal(transaction, args);
    const deadline = this.#clock() + this.options.deadlinesMs.evaluate;
    const result = await this.#step('evaluate', proposal.getTransactionId(), () => proposal.evaluate({ deadline }));
    return Buffer.from(result).toString('utf8');
  }

  chaincodeEvents(options: EventStreamOptions): Promise<EventStream> {
    if (!this.connection.chaincodeEvents) return Promise.reject(fail('LEDGER_UNAVAILABLE', 'this Fabric connection cannot follow chaincode events'));
    return this.connection.chaincodeEvents(options);
  }

  async ready(): Promise<void> {
    // A cheap evaluation proves the peer, the channel and the chaincode answer.
    try {
      await this.evaluate('ListAccessKeys', [this.mspId]);
    } catch (error) {
      const coded = error as MedshareError;
      if (coded.code === 'LEDGER_UNAVAILABLE' || coded.code === 'INTERNAL') throw coded;
    }
  }

  close(): Promise<void> {
    this.connection.close();
    return Promise.resolve();
  }

  /** A step's deadline: its own allowance, cut to what is left of the request's budget. */
  #deadline(allowanceMs: number, end: number): number {
    return Math.min(this.#clock() + allowanceMs, end);
  }

  async #step<T>(step: LedgerStep, txId: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw toMedshareError(error, step, txId);
    }
  }
}
