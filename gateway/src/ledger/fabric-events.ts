// SPDX-License-Identifier: Apache-2.0
import type { Network } from '@hyperledger/fabric-gateway';
import type { EventStream, EventStreamOptions } from './backend';

/** What following needs from a fabric-gateway Network: the narrow surface tests can fake. */
export type ChaincodeEventsNetwork = Pick<Network, 'getChaincodeEvents'>;

/**
 * The contract's chaincode events from a Fabric network, through the Gateway service's
 * ChaincodeEvents stream: events of committed transactions only, in block order, resumed from a
 * checkpoint (its position wins over `startBlock`, as fabric-gateway documents). The stream has
 * no deadline of its own: it lasts until closed or until the connection fails, and the follower
 * reconnects from its checkpoint.
 */
export function fabricChaincodeEvents(
  network: ChaincodeEventsNetwork,
  chaincodeName: string,
): (options: EventStreamOptions) => Promise<EventStream> {
  return async (options) =>
    network.getChaincodeEvents(chaincodeName, { checkpoint: options.checkpoint, startBlock: options.startBlock });
}
