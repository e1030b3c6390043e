// SPDX-License-Identifier: Apache-2.0
import { readFileSync } from 'node:fs';
import { CHAINCODE_INFO, contractKeyFromPem, contractsWith } from '@medshare/chaincode';
import { ChaincodeHost, DurableLedger, fabricIdentity, type SimulatedIdentity } from '@medshare/fabric-sim';
import { fail, type ContractEnvelope, type MedshareError } from '@medshare/protocol';
import type { EmbeddedLedgerConfig } from '../config/config';
import { toMedshareError } from '../errors/ledger-error';
import type { AccessKeyRegistration, EventStream, EventStreamOptions, LedgerBackend, OrgAdminLedger } from './backend';
import { directCalls, operationCall, type LedgerCall } from './ledger-calls';
import { memoryLedgerEvents } from './embedded-events';

const MVCC_RETRIES = 3;

/**
 * The embedded runtime: the chaincode's contracts, dispatched in-process by fabric-shim's own
 * router (`contract:Transaction`, createContext, the contracts' hooks, unknownTransaction) over
 * the durable ledger, submitting as a client of this gateway's org. Admin transactions
 * (approve, K3 registration) run as the org's admin identity, reachable only through the admin API.
 */
export class EmbeddedBackend implements LedgerBackend {
  readonly kind = 'embedded' as const;
  readonly ledger: DurableLedger;
  readonly #chaincode: ChaincodeHost;
  readonly #client: SimulatedIdentity;
  readonly #admin: SimulatedIdentity;

  private constructor(ledger: DurableLedger, k4Pem: string, org: string) {
    this.ledger = ledger;
    this.#chaincode = new ChaincodeHost(contractsWith({ contractKey: contractKeyFromPem(k4Pem) }), CHAINCODE_INFO);
    this.#client = fabricIdentity(org, { name: `gateway@${org}` });
    this.#admin = fabricIdentity(org, { admin: true });
  }

  static async open(config: EmbeddedLedgerConfig, org: string): Promise<EmbeddedBackend> {
    return new EmbeddedBackend(await DurableLedger.open(config.dir), readFileSync(config.k4KeyFile, 'utf8'), org);
  }

  run(envelope: ContractEnvelope): Promise<string> {
    return this.#call(this.#client, operationCall(envelope));
  }

  getUser(keyId: string): Promise<string> {
    return this.#call(this.#client, directCalls.getUser(keyId));
  }

  listAccessKeys(mspId: string): Promise<string> {
    return this.#call(this.#client, directCalls.listAccessKeys(mspId));
  }

  listProxies(): Promise<string> {
    return this.#call(this.#client, directCalls.listProxies());
  }

  getShareForProxy(fileId: string, receiverKeyId: string, proxyId: string): Promise<string> {
    return this.#call(this.#client, directCalls.getShareForProxy(fileId, receiverKeyId, proxyId));
  }

  getAppPolicy(mspId: string): Promise<string> {
    return this.#call(this.#client, directCalls.getAppPolicy(mspId));
  }

  /** The org admin's transactions, as the org's admin identity (reachable only through the admin API). */
  orgAdmin(): OrgAdminLedger {
    const admin = (c: LedgerCall): Promise<string> => this.#call(this.#admin, c);
    return {
      approveUser: (keyId: string) => admin(directCalls.approveUser(keyId)),
      registerAccessKey: (key: AccessKeyRegistration) => admin(directCalls.registerAccessKey(key)),
      retireAccessKey: (keyId: string, at?: number) => admin(directCalls.retireAccessKey(keyId, at)),
      adminAuditTrail: (recordId: string, pageSize: number, bookmark: string) =>
        admin(directCalls.adminAuditTrail(recordId, pageSize, bookmark)),
      registerProxy: (publicKey: string) => admin(directCalls.registerProxy(publicKey)),
      listProxies: () => admin(directCalls.listProxies()),
      setAppPolicy: (minVersion: string, denied: string) => admin(directCalls.setAppPolicy(minVersion, denied)),
    };
  }

  #call(identity: SimulatedIdentity, c: LedgerCall): Promise<string> {
    return c.call === 'submit'
      ? this.#submitAs(identity, c.transaction, c.args)
      : this.#evaluateAs(identity, c.transaction, c.args);
  }

  async #evaluateAs(identity: SimulatedIdentity, transaction: string, args: readonly string[]): Promise<string> {
    try {
      return (await this.#chaincode.evaluate(this.ledger, identity, transaction, args)).result;
    } catch (error) {
      throw toMedshareError(error);
    }
  }

  chaincodeEvents(options: EventStreamOptions): Promise<EventStream> {
    // A refusal thrown while opening becomes the promise's rejection.
    return new Promise((resolve) => {
      resolve(memoryLedgerEvents(this.ledger, options));
    });
  }

  ready(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    return this.ledger.close();
  }

  async #submitAs(identity: SimulatedIdentity, transaction: string, args: readonly string[]): Promise<string> {
    let lastConflict: MedshareError | undefined;
    // An MVCC conflict means another transaction committed first: re-simulate, as Fabric clients do.
    for (let attempt = 0; attempt <= MVCC_RETRIES; attempt++) {
      try {
        return (await this.#chaincode.submit(this.ledger, identity, transaction, args)).result;
      } catch (error) {
        const coded = toMedshareError(error);
        if (coded.code !== 'CONFLICT') throw coded;
        lastConflict = coded;
      }
    }
    throw lastConflict ?? fail('CONFLICT', 'conflict');
  }
}
