// SPDX-License-Identifier: Apache-2.0
import { PeerOrder } from './peer-order';

describe('PeerOrder: which peer of the org a call tries first', () => {
  const names = ['peer0', 'peer1', 'peer2'];

  it('hands over to the next peer only from the peer in use, wrapping around, and a more preferred peer that answers wins', () => {
    const clock = { now: 0 };
    const log = { warn: jest.fn(), info: jest.fn() };
    const order = new PeerOrder(names, 30_000, () => clock.now, log);
    expect(order.forCall()).toEqual([0, 1, 2]);
    order.unreachable(0);
    expect(order.current).toBe(1);
    order.unreachable(0); // a second call that saw peer0 down changes nothing
    expect(order.current).toBe(1);
    expect(order.forCall()).toEqual([1, 2, 0]);
    order.unreachable(1);
    order.answered(2);
    expect(order.current).toBe(2);
    order.unreachable(2);
    expect(order.current).toBe(0); // wraps around
    order.answered(1); // less preferred than the peer in use: no change
    expect(order.current).toBe(0);
    expect(log.warn).toHaveBeenCalledWith({ unreachable: 'peer0', peer: 'peer1' }, expect.stringMatching(/^ledger: /));
  });

  it('off the preferred peer, puts it first for one call per interval', () => {
    const clock = { now: 0 };
    const order = new PeerOrder(names, 1000, () => clock.now);
    order.unreachable(0);
    expect(order.forCall()).toEqual([1, 2, 0]);
    clock.now = 1000;
    expect(order.forCall()).toEqual([0, 1, 2]);
    expect(order.forCall()).toEqual([1, 2, 0]);
    clock.now = 2000;
    expect(order.forCall()[0]).toBe(0);
    order.answered(0);
    expect(order.current).toBe(0);
  });

  it('with one peer, always that peer', () => {
    const order = new PeerOrder(['only'], 1000, () => 0);
    order.unreachable(0);
    expect(order.current).toBe(0);
    expect(order.forCall()).toEqual([0]);
    expect(() => new PeerOrder([], 1000, () => 0)).toThrow(RangeError);
  });
});
