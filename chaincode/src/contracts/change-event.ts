// SPDX-License-Identifier: Apache-2.0
import type { Context } from 'fabric-contract-api';
import { marshal } from '../state/codec';

/** The event of a registry or layer-key change (UserRegistered, …): its ids and the transaction. */
export function changeEvent(ctx: Context, name: string, payload: Record<string, string>): void {
  ctx.stub.setEvent(name, Buffer.from(marshal({ ...payload, txId: ctx.stub.getTxID() })));
}
