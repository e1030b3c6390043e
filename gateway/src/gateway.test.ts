import { PassThrough } from 'node:stream';
import {
  canonicalize,
  chainPayload,
  fromBase64,
  generateKeyPair,
  keyIdOf,
  newRequest,
  open,
  seal,
  sessionAad,
  signFor,
  toBase64,
  utf8,
  verifyFor,
  SESSION_HEADER,
  type Sm2KeyPair,
} from '@medshare/protocol';
import { randomBytes } from 'node:crypto';
import type { LedgerBackend } from './ledger/backend';
import { APP, GatewayFixture, party } from './testing/fixture';
import { rawSession, sealFor, sessionBody, type RawSession } from './testing/raw-session';

const RECORD = utf8('{"diagnosis":"J45.909","note":"mild persistent asthma"}');

function envelopeFor(
  f: GatewayFixture,
  user: Sm2KeyPair,
  op: 'list-records' | 'register',
  k2: Sm2KeyPair = f.keys.k2[0] as Sm2KeyPair,
): Record<string, unknown> {
  const body =
    op === 'register' ? { role: 'patient' as const, publicKey: user.publicKey, pseudonym: randomBytes(32).toString('hex') } : { pageSize: 10, bookmark: '' };
  const request = newRequest({ op, body: body, appId: APP, keyId: keyIdOf(user.publicKey), now: f.now });
  const sig1 = signFor('sig1', user, request);
  return { request, sig1, sig2: signFor('sig2', k2, chainPayload(request as never, sig1)), k2Id: keyIdOf(k2.publicKey) };
}

/** The inject options of a sealed request: its session id goes in the session header too, as the SDK sends it. */
function sealedInject(payload: { sessionId: string; ciphertext: string }): { method: 'POST'; url: string; headers: Record<string, string>; payload: object } {
  return { method: 'POST', url: '/v1/requests', headers: { [SESSION_HEADER]: payload.sessionId }, payload };
}

/** The session header a refused body would carry: the sessionId it names, if any. */
function sessionHeaderFor(payload: unknown, raw: string | undefined): Record<string, string> {
  let sessionId: unknown = (payload as { sessionId?: unknown } | undefined)?.sessionId;
  if (raw !== undefined) {
    try {
      sessionId = (JSON.parse(raw) as { sessionId?: unknown }).sessionId;
    } catch {
      sessionId = undefined;
    }
  }
  return typeof sessionId === 'string' ? { [SESSION_HEADER]: sessionId } : {};
}

/** Posts a body that must be refused with `code`, and checks nothing changed on the ledger. */
async function refused(
  f: GatewayFixture,
  payload: unknown,
  status: number,
  code: string,
  options: { url?: string; remoteAddress?: string; raw?: string; headers?: Record<string, string> } = {},
): Promise<void> {
  const before = f.snapshot();
  const url = options.url ?? '/v1/requests';
  const session = url === '/v1/requests' ? sessionHeaderFor(payload, options.raw) : {};
  const res = await f.app.inject({
    method: 'POST',
    url,
    remoteAddress: options.remoteAddress ?? '127.0.0.1',
    ...(options.raw !== undefined
      ? { payload: options.raw, headers: { 'content-type': 'application/json', ...session, ...options.headers } }
      : { payload: payload as object, headers: { ...session, ...options.headers } }),
  });
  expect({ status: res.statusCode, code: res.json<{ code: string }>().code }).toEqual({ status, code });
  expect(typeof res.json<{ message: string }>().message).toBe('string');
  expect(f.snapshot()).toBe(before);
}

describe('gateway: the whole path through the SDK (in-process)', () => {
  let f: GatewayFixture;
  beforeAll(async () => {
    f = await GatewayFixture.create();
  });
  afterAll(() => f.close());

  it('register, upload, grant, view, revoke, refused view, audit', async () => {
    const client = f.client();
    const patient = party();
    const doctor = party();
    await client.register(patient, 'patient');
    const reg = await client.register(doctor, 'doctor');
    expect(reg.status).toBe('pending');
    const approve = await f.app.inject({
      method: 'POST',
      url: `/v1/admin/users/${doctor.keyId}/approve`,
      headers: { authorization: `Bearer ${f.adminToken}` },
    });
    expect(approve.json()).toMatchObject({ status: 'active' });

    const { recordId } = await client.upload(patient, { content: RECORD, kind: 'clinical-note' });
    await client.grant(patient, recordId, doctor.keyId);
    const seen = await client.view(doctor, recordId);
    expect(Buffer.from(seen.content).toString()).toContain('asthma');
    await client.revoke(patient, recordId, doctor.keyId);
    await expect(client.view(doctor, recordId)).rejects.toMatchObject({ code: 'NOT_AUTHORIZED' });
    const audit = await client.audit(patient, recordId);
    expect(audit.items.map((e) => e.action)).toEqual(['upload', 'view', 'grant', 'view', 'revoke']);
    expect((await client.listGrants(doctor)).items).toEqual([]);
    expect((await client.listRecords(patient)).items.map((r) => r.recordId)).toEqual([recordId]);
  });

  it('the admin API needs the token, and a refused approval leaves the doctor pending', async () => {
    const doctor = party();
    await f.client().register(doctor, 'doctor');
    const before = f.snapshot();
    for (const authorization of ['Bearer nope', '']) {
      const res = await f.app.inject({ method: 'POST', url: `/v1/admin/users/${doctor.keyId}/approve`, headers: authorization ? { authorization } : {} });
      expect(res.statusCode).toBe(403);
      expect(res.json()).toMatchObject({ code: 'NOT_ORG_ADMIN' });
    }
    expect(f.snapshot()).toBe(before);
    expect((await f.client().directory(doctor.keyId)).status).toBe('pending');
  });

  it('the admin API checks the token before the body: an unauthenticated invalid body is 403, not a schema error', async () => {
    const before = f.snapshot();
    const res = await f.app.inject({ method: 'POST', url: '/v1/admin/access-keys', payload: { nonsense: true } });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toEqual({ code: 'NOT_ORG_ADMIN', message: 'admin API needs the admin bearer token' });
    const authorized = await f.app.inject({
      method: 'POST',
      url: '/v1/admin/access-keys',
      payload: { nonsense: true },
      headers: { authorization: `Bearer ${f.adminToken}` },
    });
    expect(authorized.statusCode).toBe(400);
    expect(authorized.json()).toMatchObject({ code: 'INVALID_INPUT' });
    expect(f.snapshot()).toBe(before);
  });

  it('serves health, readiness, metrics and an OpenAPI document built from the route schemas', async () => {
    expect((await f.app.inject('/healthz')).json()).toEqual({ status: 'ok' });
    expect((await f.app.inject('/readyz')).json()).toEqual({ status: 'ready', ledger: 'embedded' });
    const metrics = (await f.app.inject('/metrics')).body;
    expect(metrics).toMatch(/medshare_requests_total\{route="\/v1\/requests",op="upload",outcome="ok",code=""\} 1/);
    expect(metrics).toMatch(/medshare_requests_total\{route="\/v1\/requests",op="",outcome="rejected",code="NOT_AUTHORIZED"\} 1/);
    expect(metrics).toContain('medshare_request_duration_seconds_bucket');
    const spec = (await f.app.inject('/openapi.json')).json<{ openapi: string; paths: Record<string, unknown> }>();
    expect(spec.openapi).toBe('3.0.3');
    expect(Object.keys(spec.paths)).toEqual(expect.arrayContaining(['/v1/sessions', '/v1/requests', '/v1/users/{keyId}', '/v1/keys']));
  });
});

describe('gateway: every rejection has a code and changes nothing', () => {
  let f: GatewayFixture;
  let s: RawSession;
  const user = party();
  beforeAll(async () => {
    f = await GatewayFixture.create({ bodyLimit: 64 * 1024 });
    await f.client().register(user, 'patient');
  });
  beforeEach(async () => {
    s = await rawSession(f);
  });
  afterAll(() => f.close());

  it('a well-formed sealed request is accepted (the control case)', async () => {
    const res = await f.app.inject(sealedInject(sealFor(s, envelopeFor(f, user, 'list-records'))));
    expect(res.statusCode).toBe(200);
  });

  it.each([
    ['IV', 5],
    ['ciphertext body', 30],
    ['MAC', -1],
  ])('tampered %s', async (_what, index) => {
    const body = sealFor(s, envelopeFor(f, party(), 'register'));
    const bytes = fromBase64(body.ciphertext);
    const i = index < 0 ? bytes.length + index : index;
    bytes[i] = (bytes[i] ?? 0) ^ 0x01;
    await refused(f, { ...body, ciphertext: toBase64(bytes) }, 400, 'CIPHERTEXT_INVALID');
  });

  it('unknown session', async () => {
    await refused(f, { ...sealFor(s, envelopeFor(f, party(), 'register')), sessionId: 'f'.repeat(32) }, 401, 'SESSION_UNKNOWN');
  });

  it('expired session', async () => {
    const body = sealFor(s, envelopeFor(f, party(), 'register'));
    f.now += 601_000;
    try {
      await refused(f, body, 401, 'SESSION_UNKNOWN');
    } finally {
      f.now -= 601_000;
    }
  });

  it('sig2 by an unknown app key, and a bad sig2', async () => {
    const stranger = generateKeyPair();
    await refused(f, sealFor(s, envelopeFor(f, party(), 'register', stranger)), 401, 'APP_KEY_NOT_VALID');
    const env = envelopeFor(f, party(), 'register');
    await refused(f, sealFor(s, { ...env, sig2: (env.sig2 as string).replace(/^./, (c) => (c === '0' ? '1' : '0')) }), 401, 'SIG2_INVALID');
  });

  it('sig2 by a retired app key (removed from the key file and reloaded)', async () => {
    const old = f.keys.k2[0] as Sm2KeyPair;
    f.keys.k2 = [generateKeyPair()];
    f.reloadKeys();
    try {
      await refused(f, sealFor(s, envelopeFor(f, party(), 'register', old)), 401, 'APP_KEY_NOT_VALID');
      await refused(f, {}, 401, 'APP_KEY_NOT_VALID', { url: '/v1/sessions', raw: JSON.stringify(sessionBody(f, old)) });
    } finally {
      f.keys.k2 = [old];
      f.reloadKeys();
    }
  });

  it('replayed request', async () => {
    const body = sealFor(s, envelopeFor(f, party(), 'register'));
    expect((await f.app.inject(sealedInject(body))).statusCode).toBe(200);
    await refused(f, body, 409, 'NONCE_REPLAYED');
  });

  it('source address outside the allowlist, before any decryption', async () => {
    await refused(f, sealFor(s, envelopeFor(f, party(), 'register')), 403, 'SOURCE_NOT_ALLOWED', { remoteAddress: '127.0.0.2' });
    await refused(f, {}, 403, 'SOURCE_NOT_ALLOWED', { url: '/v1/sessions', remoteAddress: '127.0.0.2', raw: JSON.stringify(sessionBody(f)) });
  });

  it('oversized body, malformed JSON, unknown fields (outside and inside the seal), wrong app', async () => {
    await refused(f, {}, 413, 'PAYLOAD_TOO_LARGE', { raw: JSON.stringify({ sessionId: s.sessionId, ciphertext: 'A'.repeat(70 * 1024) }) });
    await refused(f, {}, 400, 'INVALID_INPUT', { raw: '{"sessionId": ', headers: { [SESSION_HEADER]: s.sessionId } });
    await refused(f, { ...sealFor(s, envelopeFor(f, party(), 'register')), extra: 1 }, 400, 'INVALID_INPUT');
    await refused(f, sealFor(s, { ...envelopeFor(f, party(), 'register'), extra: 1 }), 400, 'INVALID_INPUT');
    await refused(f, {}, 401, 'UNKNOWN_APP', { url: '/v1/sessions', raw: JSON.stringify({ ...sessionBody(f), appId: 'other.app' }) });
  });

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

describe('response signatures', () => {
  it('the gateway refuses a tampered sig4 from the ledger', async () => {
    const tampering = (inner: LedgerBackend): LedgerBackend => ({
      kind: inner.kind,
      ready: () => inner.ready(),
      close: () => inner.close(),
      submit: (t, a) => inner.submit(t, a),
      chaincodeEvents: (o) => inner.chaincodeEvents(o),
      evaluate: async (t, a) => {
        const out = JSON.parse(await inner.evaluate(t, a)) as { sig4: string };
        return JSON.stringify({ ...out, sig4: out.sig4.replace(/^./, (c) => (c === '0' ? '1' : '0')) });
      },
    });
    const f = await GatewayFixture.create({ ledger: tampering });
    try {
      const client = f.client();
      const user = party();
      await client.register(user, 'patient');
      const before = f.snapshot();
      await expect(client.listRecords(user)).rejects.toMatchObject({ code: 'SIG4_INVALID' });
      expect(f.snapshot()).toBe(before);
    } finally {
      await f.close();
    }
  });

  it('the SDK refuses a tampered sig5, and an answer signed by an untrusted K3', async () => {
    const f = await GatewayFixture.create();
    try {
      const user = party();
      await f.client().register(user, 'patient');
      // A man in the middle who knows the session key (read from the gateway in this test) flips sig5.
      const tamper = (path: string, body: unknown): unknown => {
        if (path !== '/v1/requests') return body;
        const sealed = body as { sessionId: string; ciphertext: string };
        const key = f.accessLayer.sessions.get(sealed.sessionId, f.now).key;
        const plain = JSON.parse(Buffer.from(open(key, fromBase64(sealed.ciphertext), sessionAad('response', sealed.sessionId))).toString()) as {
          sig5: string;
        };
        const forged = { ...plain, sig5: plain.sig5.replace(/^./, (c) => (c === '0' ? '1' : '0')) };
        return { ...sealed, ciphertext: toBase64(seal(key, utf8(canonicalize(forged)), sessionAad('response', sealed.sessionId))) };
      };
      const before = f.snapshot();
      await expect(f.client({ transport: f.injectTransport('127.0.0.1', tamper) }).listRecords(user)).rejects.toMatchObject({ code: 'SIG5_INVALID' });
      await expect(f.client({ trusted: [generateKeyPair().publicKey] }).register(party(), 'patient')).rejects.toMatchObject({
        code: 'SESSION_SIGNATURE_INVALID',
      });
      expect(f.snapshot()).toBe(before);
    } finally {
      await f.close();
    }
  });
});

describe('key rotation without restart', () => {
  it('a new K3 and a new K2 overlap the old ones; removing the old K2 retires it', async () => {
    const f = await GatewayFixture.create();
    try {
      const user = party();
      const oldK3 = f.keys.k3[0] as Sm2KeyPair;
      const newK3 = { ...generateKeyPair(), notBefore: f.now - 1000, notAfter: f.now + 86_400_000 };
      await f.ledger.submitAsAdmin('layer-keys:RegisterAccessKey', [newK3.publicKey, String(newK3.notBefore), String(newK3.notAfter)]);
      const newK2 = generateKeyPair();
      f.keys.k3.push(newK3);
      f.keys.k2.push(newK2);
      f.reloadKeys();
      // the newest valid K3 signs from now on; a client that trusts only the old K3 is refused
      await f.client({ k2: newK2, trusted: [newK3.publicKey] }).register(user, 'patient');
      await expect(f.client({ trusted: [oldK3.publicKey] }).listRecords(user)).rejects.toMatchObject({ code: 'SESSION_SIGNATURE_INVALID' });
      expect((await f.client({ k2: f.keys.k2[0] }).listRecords(user)).items).toEqual([]);
      f.keys.k2 = [newK2];
      f.reloadKeys();
      await expect(f.client({ k2: generateKeyPair() }).listRecords(user)).rejects.toMatchObject({ code: 'APP_KEY_NOT_VALID' });
      expect((await f.client({ k2: newK2 }).listRecords(user)).items).toEqual([]);
    } finally {
      await f.close();
    }
  });
});

describe('logs', () => {
  it('never contain private keys, session keys, ciphertexts or record plaintext', async () => {
    const stream = new PassThrough();
    const lines: string[] = [];
    stream.on('data', (chunk: Buffer) => lines.push(chunk.toString()));
    const f = await GatewayFixture.create({ logStream: stream });
    try {
      const client = f.client();
      const patient = party();
      await client.register(patient, 'patient');
      const { recordId } = await client.upload(patient, { content: RECORD, kind: 'clinical-note' });
      await client.view(patient, recordId);
      await expect(client.view(party(), recordId)).rejects.toMatchObject({ code: 'NOT_AUTHORIZED' });
      f.app.log.info({ privateKey: patient.privateKey, nested: { key: 'secret-session-key' } }, 'redaction check');
      const text = lines.join('');
      expect(text).toContain('redaction check');
      expect(text).toContain('[redacted]');
      for (const secret of [patient.privateKey, (f.keys.k3[0] as Sm2KeyPair).privateKey, 'secret-session-key', 'asthma', 'J45'])
        expect(text).not.toContain(secret);
      expect(text).not.toMatch(/"ciphertext":"[A-Za-z0-9+/]{20}/);
    } finally {
      await f.close();
    }
  });
});

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
        const res = await f.app.inject({ ...sealedInject(sealFor(s, envelopeFor(f, user, 'list-records'))), remoteAddress: '127.0.0.5' });
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
      for (let i = 0; i < 5; i++) codes.push((await f.app.inject({ method: 'POST', url: '/v1/sessions', payload: { nonsense: i } })).statusCode);
      expect(codes).toEqual([400, 400, 400, 429, 429]);
      expect(f.accessLayer.sessions.size).toBe(sessions);
    } finally {
      await f.close();
    }
  });
});

describe('source address behind a reverse proxy', () => {
  it('believes X-Forwarded-For only from a listed proxy', async () => {
    const f = await GatewayFixture.create({ allow: ['127.0.0.9/32'], trustedProxies: ['127.0.0.1'] });
    try {
      const body = sessionBody(f);
      const viaProxy = await f.app.inject({
        method: 'POST',
        url: '/v1/sessions',
        remoteAddress: '127.0.0.1',
        headers: { 'x-forwarded-for': '127.0.0.9' },
        payload: body,
      });
      expect(viaProxy.statusCode).toBe(200);
      // a client that is not a listed proxy cannot claim an allowed address
      await refused(f, {}, 403, 'SOURCE_NOT_ALLOWED', {
        url: '/v1/sessions',
        remoteAddress: '127.0.0.5',
        headers: { 'x-forwarded-for': '127.0.0.9' },
        raw: JSON.stringify(sessionBody(f)),
      });
    } finally {
      await f.close();
    }
  });
});

describe('the SDK renews sessions', () => {
  it('opens a new session when the old one expires, transparently', async () => {
    const f = await GatewayFixture.create();
    try {
      const client = f.client();
      const user = party();
      await client.register(user, 'patient');
      const sessionsBefore = f.accessLayer.sessions.size;
      f.now += 601_000; // past the fixture's 10-minute session lifetime
      expect((await client.listRecords(user)).items).toEqual([]);
      f.accessLayer.sessions.sweep(f.now);
      expect(f.accessLayer.sessions.size).toBe(sessionsBefore);
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
        codes.push((await f.app.inject({ method: 'POST', url: '/v1/sessions', remoteAddress: '127.0.0.5', payload: sessionBody(f) })).statusCode);
      }
      // refused by the allowlist while within the address's budget, then by the address's limit
      expect(codes).toEqual([403, 403, 403, 429, 429, 429]);
      const real = await f.app.inject({ method: 'POST', url: '/v1/sessions', remoteAddress: '127.0.0.1', payload: sessionBody(f) });
      expect(real.statusCode).toBe(200);
    } finally {
      await f.close();
    }
  });

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
      await refused(f, {}, 400, 'INVALID_INPUT', { url: '/v1/sessions', raw: JSON.stringify({ ...req, sig2: signFor('session-request', k2, req) }) });
      expect(f.accessLayer.sessions.size).toBe(before);
    } finally {
      await f.close();
    }
  });
});
