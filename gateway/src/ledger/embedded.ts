import { readFileSync } from 'node:fs';
import { MedshareContract, contractKeyFromPem, fabricIdentity, type ClientIdentityLike, type SimulatedContext } from '@medshare/chaincode';
import { fail, type MedshareError } from '@medshare/protocol';
import type { EmbeddedLedgerConfig } from '../config/config';
import { toMedshareError } from '../errors/ledger-error';
import type { EventStream, EventStreamOptions, LedgerBackend } from './backend';
import { DurableLedger } from './durable-ledger';
import { memoryLedgerEvents } from './embedded-events';

type ContractFn = (ctx: never, ...args: string[]) => Promise<string>;
const MVCC_RETRIES = 3;

/**
 * The embedded runtime: the same MedshareContract as on Fabric, run in-process over the durable
 * ledger, submitting as a client of this gateway's org. Admin transactions (approve, K3
 * registration) run as the org's admin identity, reachable only through the admin API.
 */
export class EmbeddedBackend implements LedgerBackend {
  readonly kind = 'embedded' as const;
  readonly ledger: DurableLedger;
  readonly #contract: MedshareContract;
  readonly #client: ClientIdentityLike;
  readonly #admin: ClientIdentityLike;

  private constructor(ledger: DurableLedger, k4Pem: string, org: string) {
    this.ledger = ledger;
    this.#contract = new MedshareContract({ contractKey: contractKeyFromPem(k4Pem) });
    this.#client = fabricIdentity(org, { name: `gateway@${org}` });
    this.#admin = fabricIdentity(org, { admin: true });
  }

  static async open(config: EmbeddedLedgerConfig, org: string): Promise<EmbeddedBackend> {
    return new EmbeddedBackend(await DurableLedger.open(config.dir), readFileSync(config.k4KeyFile, 'utf8'), org);
  }

  submit(transaction: string, args: readonly string[]): Promise<string> {
    return this.#submitAs(this.#client, transaction, args);
  }

  submitAsAdmin(transaction: string, args: readonly string[]): Promise<string> {
    return this.#submitAs(this.#admin, transaction, args);
  }

  evaluate(transaction: string, args: readonly string[]): Promise<string> {
    return this.#evaluateAs(this.#client, transaction, args);
  }

  evaluateAsAdmin(transaction: string, args: readonly string[]): Promise<string> {
    return this.#evaluateAs(this.#admin, transaction, args);
  }

  async #evaluateAs(identity: ClientIdentityLike, transaction: string, args: readonly string[]): Promise<string> {
    const fn = this.#fn(transaction);
    try {
      return (await this.ledger.evaluate(identity, (ctx) => fn(ctx as never, ...args))).result;
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

  orgAdmin(): this {
    return this;
  }

  close(): Promise<void> {
    return this.ledger.close();
  }

  async #submitAs(identity: ClientIdentityLike, transaction: string, args: readonly string[]): Promise<string> {
    const fn = this.#fn(transaction);
    let lastConflict: MedshareError | undefined;
    // An MVCC conflict means another transaction committed first: re-simulate, as Fabric clients do.
    for (let attempt = 0; attempt <= MVCC_RETRIES; attempt++) {
      try {
        return (await this.ledger.submit(identity, (ctx: SimulatedContext) => fn(ctx as never, ...args))).result;
      } catch (error) {
        const coded = toMedshareError(error);
        if (coded.code !== 'CONFLICT') throw coded;
        lastConflict = coded;
      }
    }
    throw lastConflict ?? fail('CONFLICT', 'conflict');
  }

  #fn(transaction: string): ContractFn {
    const fn = (this.#contract as unknown as Record<string, unknown>)[transaction];
    if (typeof fn !== 'function' || !/^[A-Z][A-Za-z]+$/.test(transaction)) throw fail('INVALID_INPUT', `unknown transaction ${transaction}`);
    return (fn as ContractFn).bind(this.#contract);
  }
}
