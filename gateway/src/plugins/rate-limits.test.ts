// SPDX-License-Identifier: Apache-2.0
import { GatewayFixture, party } from '../testing/fixture';
import { rawSession, sealFor, sessionBody } from '../testing/raw-session';
import { envelopeFor, refused, sealedInject } from '../testing/sealed-requests';

describe('rate limiting per app', () => {
  it('refuses requests beyond the per-minute budget (counted per route) with RATE_LIMITED, before the ledger', async () => {
    const f = await GatewayFixture.create({ requestsPerMinute: 3 });
    try {
      const s = await rawSession(f);
      const user = party();
      for (let i = 0; i < 3; i++) {
        const res = await f.app.inject(sealedInject(sealFor(s, envelopeFor(f, user, 'list-records'))));
        expect(res.statusCode).not.toBe(429);
      }
      await refused(f, sealFor(s, envelopeFor(f, party(), 'register')), 429, 'RATE_LIMITED');
    } finally {
      await f.close();
    }
  });
});

describe('rate limits count what a client can do cheaply, where it belongs', () => {
  it("requests with a live session id from an address the app does not allow are charged to that address, never to the app's budget", async () => {
    const f = await GatewayFixture.create({ requestsPerMinute: 3 });
    try {
      const s = await rawSession(f);
      const user = party();
      const strangers: number[] = [];
      const before = f.snapshot();
      for (let i = 0; i < 6; i++) {
        const res = await f.app.inject({
          ...sealedInject(sealFor(s, envelopeFor(f, user, 'list-records'))),
          remoteAddress: '127.0.0.5',
        });
        strangers.push(res.statusCode);
      }
      expect(strangers).toEqual([403, 403, 403, 429, 429, 429]);
      expect(f.snapshot()).toBe(before);
      for (let i = 0; i < 3; i++) {
        const res = await f.app.inject(sealedInject(sealFor(s, envelopeFor(f, user, 'list-records'))));
        expect(res.statusCode).not.toBe(429);
      }
    } finally {
      await f.close();
    }
  });

  it('bodies refused by schema validation are counted too', async () => {
    const f = await GatewayFixture.create({ sessionOpensPerMinute: 3 });
    try {
      const codes: number[] = [];
      const sessions = f.accessLayer.sessions.size;
      for (let i = 0; i < 5; i++)
        codes.push((await f.app.inject({ method: 'POST', url: '/v1/sessions', payload: { nonsense: i } })).statusCode);
      expect(codes).toEqual([400, 400, 400, 429, 429]);
      expect(f.accessLayer.sessions.size).toBe(sessions);
    } finally {
      await f.close();
    }
  });
});

describe('abuse of unauthenticated routes', () => {
  it('junk session requests claiming an app from elsewhere do not lock that app out', async () => {
    const f = await GatewayFixture.create({ sessionOpensPerMinute: 3 });
    try {
      const codes: number[] = [];
      for (let i = 0; i < 6; i++) {
        codes.push(
          (
            await f.app.inject({
              method: 'POST',
              url: '/v1/sessions',
              remoteAddress: '127.0.0.5',
              payload: sessionBody(f),
            })
          ).statusCode,
        );
      }
      // refused by the allowlist while within the address's budget, then by the address's limit
      expect(codes).toEqual([403, 403, 403, 429, 429, 429]);
      const real = await f.app.inject({
        method: 'POST',
        url: '/v1/sessions',
        remoteAddress: '127.0.0.1',
        payload: sessionBody(f),
      });
      expect(real.statusCode).toBe(200);
    } finally {
      await f.close();
    }
  });
});
