// SPDX-License-Identifier: Apache-2.0
import { fail, MedshareError } from '@medshare/protocol';
import { Contract, type Context } from 'fabric-contract-api';
import { loadContractKey, type ContractKey } from '../config/contract-key';
import { MedshareContext } from './context';

export interface MedshareContractOptions {
  /** K4; by default read once from the process configuration (config/contract-key.ts). */
  readonly contractKey?: ContractKey;
}

/**
 * What every medshare contract shares, through fabric-contract-api's hooks: the context
 * (createContext), the one error boundary (aroundTransaction) and the refusal of unknown names
 * (unknownTransaction). Contracts hold only decorated transactions.
 */
export abstract class MedshareBaseContract extends Contract {
  /** K4, for the sig4 of signature-chain responses (signature-chain/respond.ts). */
  readonly contractKey: ContractKey | undefined;

  protected constructor(name: string, options: MedshareContractOptions = {}) {
    super(name);
    this.contractKey = options.contractKey ?? loadContractKey();
  }

  override createContext(): MedshareContext {
    return new MedshareContext();
  }

  /**
   * The contracts' one error boundary: coded errors pass through with their code as the message
   * prefix (the gateway reads it from the endorsement error); anything else is logged here and
   * becomes a generic INTERNAL error that reveals nothing. `fn` is the transaction's name.
   */
  override async aroundTransaction(ctx: Context, fn: unknown, parameters: unknown): Promise<void> {
    const name = `${this.getName()}:${String(fn)}`;
    // fabric-contract-api types the hook as Promise<void>; it resolves with the transaction's
    // result, which the router marshals as the response.
    const around = super.aroundTransaction.bind(this) as (
      ctx: Context,
      fn: unknown,
      parameters: unknown,
    ) => Promise<unknown>;
    try {
      return (await around(ctx, fn, parameters)) as undefined;
    } catch (error) {
      const logger = ctx.logging.getLogger('medshare');
      if (error instanceof MedshareError) {
        logger.info(`${name} rejected: ${error.code} (tx ${ctx.stub.getTxID()})`);
        throw error;
      }
      logger.error(
        `${name} failed (tx ${ctx.stub.getTxID()}): ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
      );
      throw fail('INTERNAL', `internal error in ${name} (tx ${ctx.stub.getTxID()})`);
    }
  }

  /** Unknown function names are input errors, not crashes. */
  override unknownTransaction(ctx: Context): Promise<void> {
    const { fcn } = ctx.stub.getFunctionAndParameters();
    return Promise.reject(fail('INVALID_INPUT', `unknown transaction ${fcn.slice(0, 64)}`));
  }
}
