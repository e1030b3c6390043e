import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { connect, hash, signers, type Contract, type Gateway } from '@hyperledger/fabric-gateway';
import { fail, type MedshareError } from '@medshare/protocol';
import type { FabricLedgerConfig } from '../config/config';
import { toMedshareError } from '../errors/ledger-error';
import type { EventStream, EventStreamOptions, LedgerBackend } from './backend';
import { fabricChaincodeEvents } from './fabric-events';

/** What the Fabric backend needs from a connection: the narrow transport tests can replace. */
export interface FabricConnection {
  readonly contract: Pick<Contract, 'submitTransaction' | 'evaluateTransaction'>;
  /** The contract's chaincode events (fabric-events.ts); absent on connections that cannot follow. */
  readonly chaincodeEvents?: (options: EventStreamOptions) => Promise<EventStream>;
  close(): void;
}

/** One gRPC client per peer, per-call deadlines for every Fabric call type (STYLE.md rule 9). */
export function connectFabric(config: FabricLedgerConfig, mspId: string): FabricConnection {
  const client = new grpc.Client(config.peerEndpoint, grpc.credentials.createSsl(readFileSync(config.tlsCaFile)), {
    'grpc.ssl_target_name_override': config.peerHostAlias,
  });
  const d = config.deadlinesMs;
  const gateway: Gateway = connect({
    client,
    identity: { mspId, credentials: readFileSync(config.certFile) },
    signer: signers.newPrivateKeySigner(createPrivateKey(readFileSync(config.keyFile))),
    hash: hash.sha256,
    evaluateOptions: () => ({ deadline: Date.now() + d.evaluate }),
    endorseOptions: () => ({ deadline: Date.now() + d.endorse }),
    submitOptions: () => ({ deadline: Date.now() + d.submit }),
    commitStatusOptions: () => ({ deadline: Date.now() + d.commitStatus }),
  });
  const network = gateway.getNetwork(config.channel);
  return {
    contract: network.getContract(config.chaincode),
    chaincodeEvents: fabricChaincodeEvents(network, config.chaincode),
    close() {
      gateway.close();
      client.close();
    },
  };
}

export class FabricBackend implements LedgerBackend {
  readonly kind = 'fabric' as const;
  constructor(
    private readonly connection: FabricConnection,
    private readonly mvccRetries: number,
    private readonly mspId: string,
  ) {}

  static connect(config: FabricLedgerConfig, mspId: string): FabricBackend {
    return new FabricBackend(connectFabric(config, mspId), config.mvccRetries, mspId);
  }

  async submit(transaction: string, args: readonly string[]): Promise<string> {
    let conflict: MedshareError | undefined;
    // MVCC conflicts mean another transaction won: retry with a new transaction (new id, new read set).
    for (let attempt = 0; attempt <= this.mvccRetries; attempt++) {
      try {
        return Buffer.from(await this.connection.contract.submitTransaction(transaction, ...args)).toString('utf8');
      } catch (error) {
        const coded = toMedshareError(error);
        if (coded.code !== 'CONFLICT') throw coded;
        conflict = coded;
      }
    }
    throw conflict as MedshareError;
  }

  async evaluate(transaction: string, args: readonly string[]): Promise<string> {
    try {
      return Buffer.from(await this.connection.contract.evaluateTransaction(transaction, ...args)).toString('utf8');
    } catch (error) {
      throw toMedshareError(error);
    }
  }

  chaincodeEvents(options: EventStreamOptions): Promise<EventStream> {
    if (!this.connection.chaincodeEvents) return Promise.reject(fail('LEDGER_UNAVAILABLE', 'this Fabric connection cannot follow chaincode events'));
    return this.connection.chaincodeEvents(options);
  }

  async ready(): Promise<void> {
    // A cheap evaluation proves the peer, the channel and the chaincode answer.
    try {
      await this.connection.contract.evaluateTransaction('ListAccessKeys', this.mspId);
    } catch (error) {
      const coded = toMedshareError(error);
      if (coded.code === 'LEDGER_UNAVAILABLE' || coded.code === 'INTERNAL') throw coded;
    }
  }

  close(): Promise<void> {
    this.connection.close();
    return Promise.resolve();
  }
}
