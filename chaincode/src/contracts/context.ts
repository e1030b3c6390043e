// SPDX-License-Identifier: Apache-2.0
import { Context } from 'fabric-contract-api';
import { LedgerState } from '../state/state';

/**
 * The context every medshare transaction gets (the base contract's createContext): Fabric's
 * stub, client identity and logging, plus `state`, this transaction's typed view of the ledger.
 */
export class MedshareContext extends Context {
  #state: LedgerState | undefined;

  get state(): LedgerState {
    this.#state ??= new LedgerState(this);
    return this.#state;
  }
}
