// SPDX-License-Identifier: Apache-2.0
import { toBase64, utf8 } from '@medshare/crypto/bytes';
import { seal } from '@medshare/crypto/sealed-box';
import { type Sm2KeyPair } from '@medshare/crypto/sm2';
import {
  canonicalize,
  chainPayload,
  keyIdOf,
  newRequest,
  sessionAad,
  signFor,
  verifyFor,
  SESSION_HEADER,
} from '@medshare/protocol';
import { WorkBudget } from './access/work-budget';
import { SMALL_BODY_BYTES } from './routes/route-limits';
import { APP, GatewayFixture, party } from './testing/fixture';
import { rawSession, sessionBody, type RawSession } from './testing/raw-session';

// Issue 10, item 4: work an unauthenticated client can cause is bounded before any expensive
// step. Each refusal has a stable code and leaves the ledger and the sessions as they were;
// honest traffic next to it still passes.

function listRecords(
  f: GatewayFixture,
  s: RawSession,
  user: Sm2KeyPair & { keyId: string },
): { sessionId: string; ciphertext: string } {
  const k2 = f.keys.k2[0] as Sm2KeyPair;
  const request = newRequest({
    op: 'list-records',
    body: { pageSize: 10, bookmark: '' },
    appId: APP,
    keyId: user.keyId,
    now: f.now,
  });
  const sig1 = signFor('sig1', user, request);
  const envelope = {
    request,
    sig1,
    sig2: signFor('sig2', k2, chainPayload(request, sig1)),
    k2Id: keyIdOf(k2.publicKey),
  };
  return {
    sessionId: s.sessionId,
    ciphertext: toBase64(seal(s.key, utf8(canonicalize(envelope)), sessionAad('request', s.sessionId))),
  };
}

/** What a refusal may not change: the ledger and the open sessions. */
function state(f: GatewayFixture): string {
  return `${f.snapshot()}|${f.accessLayer.sessions.size}`;
}

describe('sealed requests name their session in a header, checked before the body is read', () => {
  let f: GatewayFixture;
  let s: RawSession;
  const user = party();
  beforeAll(async () => {
    f = await GatewayFixture.create();
    await f.client().register(user, 'patient');
    s = await rawSession(f);
  });
  afterAll(() => f.close());

  const post = (headers: Record<string, string>, payload: string, remoteAddress = '127.0.0.1') =>
    f.app.inject({
      method: 'POST',
      url: '/v1/requests',
      remoteAddress,
      headers: { 'content-type': 'application/json', ...headers },
      payload,
    });

  it.each([
    ['no header', {}, 400, 'INVALID_INPUT'],
    ['a header that is not a session id', { [SESSION_HEADER]: 'nope' }, 400, 'INVALID_INPUT'],
    ['an unknown session', { [SESSION_HEADER]: 'f'.repeat(32) }, 401, 'SESSION_UNKNOWN'],
  ])('%s: refused without parsing the body (it is not even JSON)', async (_what, headers, status, code) => {
    const before = state(f);
    const res = await post(headers, `{"sessionId": "${'f'.repeat(32)}", "ciphertext": "${'A'.repeat(1000)}`);
    expect({ status: res.statusCode, code: res.json<{ code: string }>().code }).toEqual({ status, code });
    expect(state(f)).toBe(before);
  });

  it("a live session's header from an address the app does not allow: SOURCE_NOT_ALLOWED, body unparsed", async () => {
    const before = state(f);
    const res = await post({ [SESSION_HEADER]: s.sessionId }, '{not json', '127.0.0.2');
    expect({ status: res.statusCode, code: res.json<{ code: string }>().code }).toEqual({
      status: 403,
      code: 'SOURCE_NOT_ALLOWED',
    });
    expect(state(f)).toBe(before);
  });

  it("a header naming another live session than the body's: INVALID_INPUT", async () => {
    const other = await rawSession(f);
    const before = state(f);
    const res = await post({ [SESSION_HEADER]: other.sessionId }, JSON.stringify(listRecords(f, s, user)));
    expect({ status: res.statusCode, code: res.json<{ code: string }>().code }).toEqual({
      status: 400,
      code: 'INVALID_INPUT',
    });
    expect(state(f)).toBe(before);
  });

  it('the honest request, with its header, passes', async () => {
    const res = await post({ [SESSION_HEADER]: s.sessionId }, JSON.stringify(listRecords(f, s, user)));
    expect(res.statusCode).toBe(200);
  });
});

describe('per-route body limits: a session open takes a few KiB', () => {
  it('refuses a larger session open with PAYLOAD_TOO_LARGE, opening nothing; a normal one passes', async () => {
    const f = await GatewayFixture.create();
    try {
      const before = state(f);
      const padded = JSON.stringify({ ...sessionBody(f), pad: 'x'.repeat(SMALL_BODY_BYTES) });
      const res = await f.app.inject({
        method: 'POST',
        url: '/v1/sessions',
        headers: { 'content-type': 'application/json' },
        payload: padded,
      });
      expect({ status: res.statusCode, code: res.json<{ code: string }>().code }).toEqual({
        status: 413,
        code: 'PAYLOAD_TOO_LARGE',
      });
      expect(state(f)).toBe(before);
      expect((await f.app.inject({ method: 'POST', url: '/v1/sessions', payload: sessionBody(f) })).statusCode).toBe(
        200,
      );
    } finally {
      await f.close();
    }
  });

  it('admin routes take a few KiB, and still authenticate first', async () => {
    const f = await GatewayFixture.create();
    try {
      const big = JSON.stringify({ publicKey: 'x'.repeat(SMALL_BODY_BYTES), notBefore: 0, notAfter: 1 });
      const headers = { 'content-type': 'application/json', authorization: `Bearer ${f.adminToken}` };
      const res = await f.app.inject({ method: 'POST', url: '/v1/admin/access-keys', headers, payload: big });
      expect({ status: res.statusCode, code: res.json<{ code: string }>().code }).toEqual({
        status: 413,
        code: 'PAYLOAD_TOO_LARGE',
      });
      const anonymous = await f.app.inject({
        method: 'POST',
        url: '/v1/admin/access-keys',
        headers: { 'content-type': 'application/json' },
        payload: big,
      });
      expect(anonymous.json<{ code: string }>().code).toBe('NOT_ORG_ADMIN');
    } finally {
      await f.close();
    }
  });
});

describe('session opens: a low limit per address', () => {
  it('refuses the fourth open a minute from one address (limit 3) with RATE_LIMITED, opening nothing; another address and sealed requests still pass', async () => {
    const f = await GatewayFixture.create({ sessionOpensPerMinute: 3 });
    try {
      const user = party();
      await f.client().register(user, 'patient'); // the SDK's open: 1
      const s = await rawSession(f); // 2
      expect((await f.app.inject({ method: 'POST', url: '/v1/sessions', payload: sessionBody(f) })).statusCode).toBe(
        200,
      ); // 3
      const before = state(f);
      const res = await f.app.inject({ method: 'POST', url: '/v1/sessions', payload: sessionBody(f) });
      expect({ status: res.statusCode, code: res.json<{ code: string }>().code }).toEqual({
        status: 429,
        code: 'RATE_LIMITED',
      });
      expect(state(f)).toBe(before);
      expect(
        (await f.app.inject({ method: 'POST', url: '/v1/sessions', remoteAddress: '::1', payload: sessionBody(f) }))
          .statusCode,
      ).toBe(200);
      const sealed = listRecords(f, s, user);
      const ok = await f.app.inject({
        method: 'POST',
        url: '/v1/requests',
        headers: { [SESSION_HEADER]: s.sessionId },
        payload: sealed,
      });
      expect(ok.statusCode).toBe(200);
    } finally {
      await f.close();
    }
  });
});

describe('a global budget for SM2 before authentication', () => {
  /** Each piece of guarded work costs 1000 ms on the fake measure: one per second passes. */
  async function busyFixture(): Promise<GatewayFixture> {
    let measured = 0;
    const holder: { fixture?: GatewayFixture } = {};
    const budget = new WorkBudget({
      msPerSecond: 1000,
      clock: () => holder.fixture?.now ?? 0,
      measure: () => (measured += 1000),
    });
    holder.fixture = await GatewayFixture.create({ budget });
    return holder.fixture;
  }

  it('a session open beyond it is GATEWAY_BUSY before any SM2: no session, no nonce taken (the same open passes a second later)', async () => {
    const f = await busyFixture();
    try {
      const user = party();
      const client = f.client();
      await client.register(user, 'patient'); // the SDK's own open spends this second's budget
      const body = sessionBody(f);
      const before = state(f);
      const res = await f.app.inject({ method: 'POST', url: '/v1/sessions', payload: body });
      expect({ status: res.statusCode, code: res.json<{ code: string }>().code }).toEqual({
        status: 503,
        code: 'GATEWAY_BUSY',
      });
      expect(res.headers['retry-after']).toBe('1');
      expect(state(f)).toBe(before);
      // Honest traffic on an open session is not charged to it.
      expect((await client.listRecords(user)).items).toEqual([]);
      f.now += 1000;
      expect((await f.app.inject({ method: 'POST', url: '/v1/sessions', payload: body })).statusCode).toBe(200);
    } finally {
      await f.close();
    }
  });

  it('directory answers: a signature is reused for the same user bytes (no budget spent), a new state is signed anew', async () => {
    const f = await busyFixture();
    try {
      const doctor = party();
      const client = f.client();
      await client.register(doctor, 'doctor');
      f.now += 1000;
      const first = await f.app.inject({ method: 'GET', url: `/v1/users/${doctor.keyId}` });
      expect(first.statusCode).toBe(200);
      // The budget is spent now, yet the same key is answered from the cache, same signature.
      const again = await f.app.inject({ method: 'GET', url: `/v1/users/${doctor.keyId}` });
      expect(again.statusCode).toBe(200);
      expect(again.json<{ sig3: string }>().sig3).toBe(first.json<{ sig3: string }>().sig3);
      const other = party();
      await client.register(other, 'patient');
      const busy = await f.app.inject({ method: 'GET', url: `/v1/users/${other.keyId}` });
      expect({ status: busy.statusCode, code: busy.json<{ code: string }>().code }).toEqual({
        status: 503,
        code: 'GATEWAY_BUSY',
      });

      const approve = await f.app.inject({
        method: 'POST',
        url: `/v1/admin/users/${doctor.keyId}/approve`,
        headers: { authorization: `Bearer ${f.adminToken}` },
      });
      expect(approve.statusCode).toBe(200);
      f.now += 1000;
      const approved = await f.app.inject({ method: 'GET', url: `/v1/users/${doctor.keyId}` });
      const answer = approved.json<{ user: Record<string, unknown>; sig3: string }>();
      expect(answer.user).toMatchObject({ status: 'active' });
      expect(answer.sig3).not.toBe(first.json<{ sig3: string }>().sig3);
      expect(verifyFor('directory', (f.keys.k3[0] as Sm2KeyPair).publicKey, answer.user, answer.sig3)).toBe(true);
      // And the SDK, which checks sig3, accepts the cached answer.
      expect(await client.directory(doctor.keyId)).toMatchObject({ keyId: doctor.keyId, status: 'active' });
    } finally {
      await f.close();
    }
  });
});
