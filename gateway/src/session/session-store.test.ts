// SPDX-License-Identifier: Apache-2.0
import { type Sm2KeyPair } from '@medshare/crypto/sm2';
import { randomBytes } from 'node:crypto';
import { keyIdOf, signFor, verifyFor } from '@medshare/protocol';
import { APP, GatewayFixture } from '../testing/fixture';
import { sessionBody } from '../testing/raw-session';
import { refused } from '../testing/sealed-requests';

describe('sessions: signed answers, bounded per app', () => {
  let f: GatewayFixture;
  beforeAll(async () => {
    f = await GatewayFixture.create();
  });
  afterAll(() => f.close());

  it('a session answer is signed with K3, and sessions are bounded per app', async () => {
    const before = f.snapshot();
    const opened: Array<Record<string, unknown> & { sig3: string }> = [];
    let limited = false;
    for (let i = 0; i < 60 && !limited; i++) {
      const res = await f.app.inject({ method: 'POST', url: '/v1/sessions', payload: sessionBody(f) });
      if (res.statusCode === 429) {
        expect(res.json()).toMatchObject({ code: 'SESSION_LIMIT' });
        limited = true;
      } else opened.push(res.json());
    }
    expect(limited).toBe(true);
    const first = opened[0];
    if (!first) throw new Error('no session opened');
    const { sig3, ...signed } = first;
    expect(verifyFor('session', (f.keys.k3[0] as Sm2KeyPair).publicKey, signed, sig3)).toBe(true);
    expect(verifyFor('session', (f.keys.k3[0] as Sm2KeyPair).publicKey, { ...signed, expiresAt: 0 }, sig3)).toBe(false);
    expect(f.accessLayer.sessions.size).toBeLessThanOrEqual(40);
    expect(f.snapshot()).toBe(before);
  });
});

describe('session opens: refused before any state is taken', () => {
  it('an off-curve ephemeral key is refused before any session or replay slot is taken', async () => {
    const f = await GatewayFixture.create();
    try {
      const k2 = f.keys.k2[0] as Sm2KeyPair;
      const req = {
        v: 1,
        appId: APP,
        k2Id: keyIdOf(k2.publicKey),
        ephemeralPublicKey: `04${'11'.repeat(64)}`,
        issuedAt: f.now,
        nonce: randomBytes(16).toString('hex'),
      };
      const before = f.accessLayer.sessions.size;
      await refused(f, {}, 400, 'INVALID_INPUT', {
        url: '/v1/sessions',
        raw: JSON.stringify({ ...req, sig2: signFor('session-request', k2, req) }),
      });
      expect(f.accessLayer.sessions.size).toBe(before);
    } finally {
      await f.close();
    }
  });
});
