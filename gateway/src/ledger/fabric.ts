// SPDX-License-Identifier: Apache-2.0
import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { connect, type Gateway, type Identity } from '@hyperledger/fabric-gateway';
import { MedshareError, fail, type ContractEnvelope } from '@medshare/protocol';
import { DEFAULT_PREFERRED_PEER_RETRY_MS, type FabricLedgerConfig, type FabricPeerConfig } from '../config/config';
import { peerUnreachable, toMedshareError, type LedgerStep } from '../errors/ledger-error';
import type { EventStream, EventStreamOptions, LedgerBackend } from './backend';
import { directCalls, operationCall, type LedgerCall } from './ledger-calls';
import { fabricChaincodeEvents } from './fabric-events';
import { fabricSigning, type FabricSigning } from './fabric-signer';
import { PeerOrder, type PeerChangeLog } from './peer-order';

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

/** What the Fabric backend needs from a connection to one peer: the narrow transport tests can replace. */
export interface FabricConnection {
  /** The peer's name (its TLS host alias), for the server log only. */
  readonly peer: string;
  newProposal(transaction: string, args: readonly string[]): FabricProposal;
  /** The contract's chaincode events (fabric-events.ts); absent on connections that cannot follow. */
  readonly chaincodeEvents?: (options: EventStreamOptions) => Promise<EventStream>;
  close(): void;
}

/**
 * One gRPC client and one fabric-gateway Gateway per peer of the org, in the
 * config's order; every call's deadline is set by the backend.
 */
export function connectFabric(config: FabricLedgerConfig, mspId: string): FabricConnection[] {
  const identity = { mspId, credentials: readFileSync(config.certFile) };
  const signing = fabricSigning(createPrivateKey(readFileSync(config.keyFile)));
  return config.peers.map((peer) => connectPeer(config, peer, identity, signing));
}

function connectPeer(
  config: FabricLedgerConfig,
  peer: FabricPeerConfig,
  identity: Identity,
  signing: FabricSigning,
): FabricConnection {
  const client = new grpc.Client(peer.endpoint, grpc.credentials.createSsl(readFileSync(peer.tlsCaFile)), {
    'grpc.ssl_target_name_override': peer.hostAlias,
  });
  const gateway: Gateway = connect({ client, identity, ...signing });
  const network = gateway.getNetwork(config.channel);
  const contract = network.getContract(config.chaincode);
  return {
    peer: peer.hostAlias,
    newProposal: (transaction, args) => contract.newProposal(transaction, { arguments: [...args] }),
    chaincodeEvents: fabricChaincodeEvents(network, config.chaincode),
    close() {
      gateway.close();
      client.close();
    },
  };
}

export type FabricDeadlines = FabricLedgerConfig['deadlinesMs'];

export interface FabricBackendOptions {
  readonly deadlinesMs: FabricDeadlines;
  readonly mvccRetries: number;
  /** After moving off the first peer, how long before a call tries it again (default 30 s). */
  readonly preferredPeerRetryMs?: number;
  /** Where a change of peer is reported (the gateway's logger). */
  readonly log?: PeerChangeLog;
}

/** One try of a call on one peer: the transaction id it carries, and the call. */
interface PeerTry<T> {
  readonly txId: string;
  readonly run: () => Promise<T>;
}

/**
 * The Fabric ledger backend. A submit is driven step by step (endorse → submit → commit status)
 * so that the transaction id is known before anything is sent for ordering, and a failure is
 * mapped with the step it happened in: before and at endorsement nothing was written; after it
 * the outcome is unknown (OUTCOME_UNKNOWN with the transaction id). Each step has its own
 * deadline, and the whole submit, MVCC retries included, stays within endorse + submit +
 * commitStatus from its start (config.ts keeps that below the HTTP request timeout), so no
 * Fabric call outlives the request that made it.
 *
 * It talks to the peers of its own org (one connection each, in the config's order) through the
 * one in use (PeerOrder). A failure that proves that peer unreachable (`peerUnreachable`) moves
 * to the next peer, and the call is tried there only when nothing can have been written: an
 * evaluation, or an endorsement (a new proposal, so a new transaction id), within the same
 * evaluate or endorse deadline. Once a transaction was handed to a peer for ordering it is never
 * sent again: a failure from then on is mapped as before (OUTCOME_UNKNOWN), and only the next
 * calls go to the next peer. Anything a live peer answers, including an endorsement plan it
 * cannot build, is returned as it is: another peer of the org sees the same network.
 */
export class FabricBackend implements LedgerBackend {
  readonly kind = 'fabric' as const;
  readonly #clock: () => number;
  readonly #connections: readonly FabricConnection[];
  readonly #peers: PeerOrder;

  constructor(
    /** One per peer of the org, most preferred first. */
    connections: readonly FabricConnection[],
    private readonly options: FabricBackendOptions,
    private readonly mspId: string,
    clock: () => number = Date.now,
  ) {
    this.#clock = clock;
    this.#connections = connections;
    this.#peers = new PeerOrder(
      this.#connections.map((c) => c.peer),
      options.preferredPeerRetryMs ?? DEFAULT_PREFERRED_PEER_RETRY_MS,
      clock,
      options.log,
    );
  }

  static connect(config: FabricLedgerConfig, mspId: string, log?: PeerChangeLog): FabricBackend {
    return new FabricBackend(connectFabric(config, mspId), { ...config, ...(log ? { log } : {}) }, mspId);
  }

  /** The most a submit may take, retries included. */
  get submitBudgetMs(): number {
    const d = this.options.deadlinesMs;
    return d.endorse + d.submit + d.commitStatus;
  }

  /** The name of the peer calls go to now (for the server log and tests). */
  get peer(): string {
    return (this.#connections[this.#peers.current] as FabricConnection).peer;
  }

  run(envelope: ContractEnvelope): Promise<string> {
    return this.#call(operationCall(envelope));
  }

  getUser(keyId: string): Promise<string> {
    return this.#call(directCalls.getUser(keyId));
  }

  listAccessKeys(mspId: string): Promise<string> {
    return this.#call(directCalls.listAccessKeys(mspId));
  }

  listProxies(): Promise<string> {
    return this.#call(directCalls.listProxies());
  }

  getShareForProxy(fileId: string, receiverKeyId: string, proxyId: string): Promise<string> {
    return this.#call(directCalls.getShareForProxy(fileId, receiverKeyId, proxyId));
  }

  getAppPolicy(mspId: string): Promise<string> {
    return this.#call(directCalls.getAppPolicy(mspId));
  }

  #call(c: LedgerCall): Promise<string> {
    return c.call === 'submit' ? this.#submit(c.transaction, c.args) : this.#evaluate(c.transaction, c.args);
  }

  async #submit(transaction: string, args: readonly string[]): Promise<string> {
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
    // One endorse deadline for the endorsement, whichever peers it takes.
    const endorseBy = this.#deadline(d.endorse, end);
    const endorsed = await this.#onReachablePeer('endorse', endorseBy, (c) => {
      const proposal = c.newProposal(transaction, args);
      return { txId: proposal.getTransactionId(), run: () => proposal.endorse({ deadline: endorseBy }) };
    });
    // From here the transaction is the peer's: never sent again, whatever happens.
    const { value: transactionToSubmit, peer, txId } = endorsed;
    const commit = await this.#step('submit', txId, peer, () =>
      transactionToSubmit.submit({ deadline: this.#deadline(d.submit, end) }),
    );
    const status = await this.#step('commitStatus', txId, peer, () =>
      commit.getStatus({ deadline: this.#deadline(d.commitStatus, end) }),
    );
    if (!status.successful)
      throw toMedshareError({ name: 'CommitError', code: status.code, transactionId: txId }, 'commit', txId);
    return Buffer.from(transactionToSubmit.getResult()).toString('utf8');
  }

  async #evaluate(transaction: string, args: readonly string[]): Promise<string> {
    const deadline = this.#clock() + this.options.deadlinesMs.evaluate;
    const { value } = await this.#onReachablePeer('evaluate', deadline, (c) => {
      const proposal = c.newProposal(transaction, args);
      return { txId: proposal.getTransactionId(), run: () => proposal.evaluate({ deadline }) };
    });
    return Buffer.from(value).toString('utf8');
  }

  /**
   * The contract's events from the peer in use; when that stream fails, the follower opens a
   * new one from its checkpoint, which goes to whichever peer is in use by then.
   */
  chaincodeEvents(options: EventStreamOptions): Promise<EventStream> {
    const connection = this.#connections[this.#peers.current] as FabricConnection;
    if (!connection.chaincodeEvents)
      return Promise.reject(fail('LEDGER_UNAVAILABLE', 'this Fabric connection cannot follow chaincode events'));
    return connection.chaincodeEvents(options);
  }

  async ready(): Promise<void> {
    // A cheap evaluation proves a peer of the org, the channel and the chaincode answer.
    try {
      await this.listAccessKeys(this.mspId);
    } catch (error) {
      const coded = error as MedshareError;
      if (coded.code === 'LEDGER_UNAVAILABLE' || coded.code === 'INTERNAL') throw coded;
    }
  }

  close(): Promise<void> {
    for (const c of this.#connections) c.close();
    return Promise.resolve();
  }

  orgAdmin(): undefined {
    return undefined;
  }

  /** A step's deadline: its own allowance, cut to what is left of the request's budget. */
  #deadline(allowanceMs: number, end: number): number {
    return Math.min(this.#clock() + allowanceMs, end);
  }

  /**
   * Evaluate or endorse (nothing written either way) on the peer in use; while the peer tried is
   * unreachable and the deadline allows, on the next one. Every peer is tried at most once.
   */
  async #onReachablePeer<T>(
    step: 'evaluate' | 'endorse',
    deadline: number,
    attempt: (connection: FabricConnection) => PeerTry<T>,
  ): Promise<{ value: T; peer: number; txId: string }> {
    const order = this.#peers.forCall();
    let last: { error: unknown; txId: string } | undefined;
    let tried = 0;
    for (const i of order) {
      if (last && this.#clock() >= deadline) break;
      tried += 1;
      const { txId, run } = attempt(this.#connections[i] as FabricConnection);
      try {
        const value = await run();
        this.#peers.answered(i);
        return { value, peer: i, txId };
      } catch (error) {
        if (!peerUnreachable(error)) {
          this.#peers.answered(i);
          throw toMedshareError(error, step, txId);
        }
        this.#peers.unreachable(i);
        last = { error, txId };
      }
    }
    const { error, txId } = last as { error: unknown; txId: string };
    // One peer: its own mapping, as before there was a list. Out of time before the last: the last failure.
    if (order.length === 1 || tried < order.length) throw toMedshareError(error, step, txId);
    throw new MedshareError({
      code: 'LEDGER_UNAVAILABLE',
      message: `no peer of this organization answered (all ${String(tried)} unreachable)`,
      cause: error,
      context: { txId },
    });
  }

  /** A step after endorsement, on the peer that endorsed: never retried; an unreachable peer is left for the next calls. */
  async #step<T>(step: LedgerStep, txId: string, peer: number, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      if (peerUnreachable(error)) this.#peers.unreachable(peer);
      throw toMedshareError(error, step, txId);
    }
  }
}
