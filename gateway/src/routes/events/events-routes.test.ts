// SPDX-License-Identifier: Apache-2.0
import { fromBase64, toBase64, utf8 } from '@medshare/crypto/bytes';
import { open, seal } from '@medshare/crypto/sealed-box';
import { generateKeyPair, type Sm2KeyPair } from '@medshare/crypto/sm2';
import { randomBytes } from 'node:crypto';
import {
  canonicalize,
  eventAad,
  keyIdOf,
  parseDeliveredEvent,
  parseStreamGrant,
  sessionAad,
  signFor,
  type DeliveredEvent,
} from '@medshare/protocol';
import { parseSse, type MedshareClient, type SseMessage } from '@medshare/app';
import { APP, GatewayFixture, party } from '../../testing/fixture';
import { rawSession, type RawSession } from '../../testing/raw-session';

function appKey(f: GatewayFixture): Sm2KeyPair {
  const k2 = f.keys.k2[0];
  if (!k2) throw new Error('the fixture has no K2');
  return k2;
}

/** A subscribe envelope for `author`, signed by `signer` (sig1) and `k2` (sig2). */
function subscribeEnvelope(
  f: GatewayFixture,
  author: { publicKey: string },
  options: { signer?: Sm2KeyPair; k2?: Sm2KeyPair; nonce?: string } = {},
): unknown {
  const k2 = options.k2 ?? appKey(f);
  const request = {
    v: 1,
    op: 'subscribe',
    body: {},
    nonce: options.nonce ?? randomBytes(16).toString('hex'),
    issuedAt: f.now,
    expiresAt: f.now + 60_000,
    appId: APP,
    keyId: keyIdOf(author.publicKey),
  };
  const sig1 = signFor('sig1', options.signer ?? (author as Sm2KeyPair), request);
  return { request, sig1, sig2: signFor('sig2', k2, { request, sig1 }), k2Id: keyIdOf(k2.publicKey) };
}

async function postSubscribe(
  f: GatewayFixture,
  s: RawSession,
  envelope: unknown,
): Promise<{ status: number; code?: string; token?: string }> {
  const res = await f.app.inject({
    method: 'POST',
    url: '/v1/events/subscriptions',
    remoteAddress: '127.0.0.1',
    payload: {
      sessionId: s.sessionId,
      ciphertext: toBase64(seal(s.key, utf8(canonicalize(envelope)), sessionAad('request', s.sessionId))),
    },
  });
  const body = res.json<{ code?: string; sessionId?: string; ciphertext?: string }>();
  if (res.statusCode !== 200) return { status: res.statusCode, ...(body.code ? { code: body.code } : {}) };
  const grant = parseStreamGrant(
    JSON.parse(
      Buffer.from(open(s.key, fromBase64(body.ciphertext as string), sessionAad('response', s.sessionId))).toString(),
    ),
  );
  return { status: 200, token: grant.token };
}

async function collect(client: MedshareClient, user: Sm2KeyPair, after?: string): Promise<DeliveredEvent[]> {
  const out: DeliveredEvent[] = [];
  for await (const e of client.events(user, { follow: false, ...(after === undefined ? {} : { after }) })) out.push(e);
  return out;
}

async function messages(stream: AsyncIterable<string>): Promise<SseMessage[]> {
  const out: SseMessage[] = [];
  for await (const m of parseSse(stream)) out.push(m);
  return out;
}

/** What must not change when a subscribe or stream is refused. */
function state(f: GatewayFixture): string {
  return JSON.stringify({
    ledger: f.snapshot(),
    events: f.eventLog.size,
    tokens: f.accessLayer.streamTokens.size,
    streams: f.events.size,
  });
}

/** A patient with a record that a doctor was granted, viewed and lost; and a second patient with their own record. */
async function scenario(f: GatewayFixture): Promise<{
  client: MedshareClient;
  alice: Sm2KeyPair & { keyId: string };
  bob: Sm2KeyPair & { keyId: string };
  doctor: Sm2KeyPair & { keyId: string };
  aliceRecord: string;
  bobRecord: string;
}> {
  const client = f.client();
  const [alice, bob, doctor] = [party(), party(), party()];
  await client.register(alice, 'patient');
  await client.register(bob, 'patient');
  await client.register(doctor, 'doctor');
  await f.ledger.orgAdmin().approveUser(doctor.keyId);
  const { recordId: aliceRecord } = await client.upload(alice, {
    content: utf8('{"note":"asthma"}'),
    kind: 'clinical-note',
  });
  const { recordId: bobRecord } = await client.upload(bob, {
    content: utf8('{"note":"fracture"}'),
    kind: 'clinical-note',
  });
  await client.grant(alice, aliceRecord, doctor.keyId);
  await client.view(doctor, aliceRecord);
  await client.view(bob, bobRecord);
  await client.revoke(alice, aliceRecord, doctor.keyId);
  await f.eventsCaughtUp();
  return { client, alice, bob, doctor, aliceRecord, bobRecord };
}

describe('access notifications: GET /v1/events (in-process gateway)', () => {
  let f: GatewayFixture;
  beforeEach(async () => {
    f = await GatewayFixture.create();
  });
  afterEach(async () => {
    await f.close();
  });

  it('a patient gets every access to their records in order, only theirs, and resumes after an event id', async () => {
    const { client, alice, bob, doctor, aliceRecord, bobRecord } = await scenario(f);
    const mine = await collect(client, alice);
    // grant = the owner's audited view to recover the data key, then the grant
    expect(mine.map((e) => [e.action, e.actorKeyId, e.subjectKeyId])).toEqual([
      ['upload', alice.keyId, undefined],
      ['view', alice.keyId, undefined],
      ['grant', alice.keyId, doctor.keyId],
      ['view', doctor.keyId, undefined],
      ['revoke', alice.keyId, doctor.keyId],
    ]);
    expect(new Set(mine.map((e) => e.recordId))).toEqual(new Set([aliceRecord]));
    expect(mine.every((e) => e.owner === alice.keyId && e.org === 'Org1MSP')).toBe(true);
    // ids increase, and are the audit trail's transactions
    const trail = await client.audit(alice, aliceRecord);
    expect(mine.map((e) => e.txId)).toEqual(trail.items.map((e) => e.txId));
    const blocks = mine.map((e) => Number(e.id.split('-')[0]));
    expect(blocks).toEqual([...blocks].sort((a, b) => a - b));

    const theirs = await collect(client, bob);
    expect(theirs.map((e) => [e.action, e.recordId])).toEqual([
      ['upload', bobRecord],
      ['view', bobRecord],
    ]);
    // the doctor owns nothing: nothing to see, although it acted on alice's record
    expect(await collect(client, doctor)).toEqual([]);

    expect(await collect(client, alice, mine[1]?.id)).toEqual(mine.slice(2));
    expect(await collect(client, alice, mine.at(-1)?.id)).toEqual([]);
  });

  it('Last-Event-ID resumes a raw stream; each event is sealed for the session and bound to its id', async () => {
    const { alice } = await scenario(f);
    const s = await rawSession(f);
    const { token } = await postSubscribe(f, s, subscribeEnvelope(f, alice));
    const all = await messages(
      await f.stream('/v1/events?follow=false', { authorization: `Bearer ${token as string}` }),
    );
    expect(all.map((m) => m.event)).toEqual(Array<string>(5).fill('medshare.audit'));
    const opened = all.map((m) =>
      parseDeliveredEvent(
        JSON.parse(Buffer.from(open(s.key, fromBase64(m.data), eventAad(s.sessionId, m.id as string))).toString()),
      ),
    );
    expect(opened.map((e) => e.id)).toEqual(all.map((m) => m.id));
    // ciphertext only on the wire; an event cannot be opened under another id
    expect(all.map((m) => m.data).join('')).not.toContain(alice.keyId);
    expect(() =>
      open(s.key, fromBase64(all[1]?.data as string), eventAad(s.sessionId, all[0]?.id as string)),
    ).toThrow();

    const resumed = await messages(
      await f.stream('/v1/events?follow=false', {
        authorization: `Bearer ${token as string}`,
        'last-event-id': all[2]?.id as string,
      }),
    );
    expect(resumed.map((m) => m.id)).toEqual(all.slice(3).map((m) => m.id));
    // ?after= wins over the header
    const both = await messages(
      await f.stream(`/v1/events?follow=false&after=${all[3]?.id as string}`, {
        authorization: `Bearer ${token as string}`,
        'last-event-id': all[0]?.id as string,
      }),
    );
    expect(both.map((m) => m.id)).toEqual(all.slice(4).map((m) => m.id));
  });

  it('follows live: a new access to the record arrives on the open stream', async () => {
    const { client, alice, aliceRecord } = await scenario(f);
    const iterator = client.events(alice)[Symbol.asyncIterator]();
    for (let i = 0; i < 5; i++) await iterator.next();
    const next = iterator.next();
    await client.view(alice, aliceRecord);
    const { value } = await next;
    expect(value).toMatchObject({ action: 'view', recordId: aliceRecord, actorKeyId: alice.keyId });
    const metrics = (await f.app.inject('/metrics')).body;
    expect(metrics).toMatch(/^medshare_event_streams 1$/m);
    expect(metrics).toMatch(/^medshare_event_log_events 8$/m);
    await iterator.return(undefined);

    // an abort ends a wait for the next event
    const controller = new AbortController();
    const stream = client.events(alice, { after: value?.id as string, signal: controller.signal });
    const waiting = stream[Symbol.asyncIterator]();
    const pending = waiting.next();
    controller.abort();
    expect((await pending).done).toBe(true);
  });

  it('a stream ends when its session expires, and its token no longer opens one', async () => {
    const { alice } = await scenario(f);
    const s = await rawSession(f);
    const { token } = await postSubscribe(f, s, subscribeEnvelope(f, alice));
    const stream = await f.stream('/v1/events', { authorization: `Bearer ${token as string}` });
    const iterator = parseSse(stream)[Symbol.asyncIterator]();
    for (let i = 0; i < 5; i++) await iterator.next();
    f.now = s.expiresAt + 1;
    // the heartbeat sees the session expired and ends the stream
    expect((await iterator.next()).done).toBe(true);
    await expect(f.stream('/v1/events', { authorization: `Bearer ${token as string}` })).rejects.toMatchObject({
      code: 'STREAM_TOKEN_INVALID',
    });
  });

  it('closing the gateway ends open streams (shutdown does not wait for them)', async () => {
    const { alice, client } = await scenario(f);
    const iterator = client.events(alice, {})[Symbol.asyncIterator]();
    await iterator.next();
    const s = await rawSession(f);
    const { token } = await postSubscribe(f, s, subscribeEnvelope(f, alice));
    const raw = parseSse(await f.stream('/v1/events', { authorization: `Bearer ${token as string}` }))[
      Symbol.asyncIterator
    ]();
    for (let i = 0; i < 5; i++) await raw.next();
    await f.app.close();
    expect((await raw.next()).done).toBe(true);
    expect(f.events.size).toBe(0);
    await iterator.return(undefined);
  });

  it('refuses an unauthenticated, unknown or forged subscription with a stable code and changes nothing', async () => {
    const { alice, bob } = await scenario(f);
    const s = await rawSession(f);
    const before = state(f);
    await expect(f.stream('/v1/events', {})).rejects.toMatchObject({ code: 'STREAM_TOKEN_INVALID' });
    await expect(f.stream('/v1/events', { authorization: `Bearer ${'ab'.repeat(32)}` })).rejects.toMatchObject({
      code: 'STREAM_TOKEN_INVALID',
    });
    await expect(f.stream('/v1/events', { authorization: 'Basic x' })).rejects.toMatchObject({
      code: 'STREAM_TOKEN_INVALID',
    });
    // bob signs a subscription naming alice
    expect(await postSubscribe(f, s, subscribeEnvelope(f, alice, { signer: bob }))).toEqual({
      status: 401,
      code: 'SIG1_INVALID',
    });
    // an app key the gateway does not know
    expect(await postSubscribe(f, s, subscribeEnvelope(f, alice, { k2: generateKeyPair() }))).toEqual({
      status: 401,
      code: 'APP_KEY_NOT_VALID',
    });
    const forgedSig2 = {
      ...(subscribeEnvelope(f, alice) as Record<string, unknown>),
      sig2: signFor('sig2', generateKeyPair(), { any: 1 }),
    };
    expect(await postSubscribe(f, s, forgedSig2)).toEqual({ status: 401, code: 'SIG2_INVALID' });
    expect(await postSubscribe(f, s, subscribeEnvelope(f, party()))).toEqual({ status: 403, code: 'NOT_REGISTERED' });
    const res = await f.app.inject({
      method: 'POST',
      url: '/v1/events/subscriptions',
      remoteAddress: '127.0.0.1',
      payload: { sessionId: s.sessionId, ciphertext: toBase64(randomBytes(80)) },
    });
    expect(res.json()).toMatchObject({ code: 'CIPHERTEXT_INVALID' });
    expect(state(f)).toBe(before);

    // a token is good only from an address allowed for its app (inject sets the source address)
    const { token } = await postSubscribe(f, s, subscribeEnvelope(f, alice));
    const elsewhere = await f.app.inject({
      method: 'GET',
      url: '/v1/events?follow=false',
      remoteAddress: '127.0.0.2',
      headers: { authorization: `Bearer ${token as string}` },
    });
    expect({ status: elsewhere.statusCode, code: elsewhere.json<{ code: string }>().code }).toEqual({
      status: 403,
      code: 'SOURCE_NOT_ALLOWED',
    });
    const here = await f.app.inject({
      method: 'GET',
      url: '/v1/events?follow=false',
      remoteAddress: '127.0.0.1',
      headers: { authorization: `Bearer ${token as string}` },
    });
    expect(here.statusCode).toBe(200);
    expect(here.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(here.body.match(/^id: /gm)).toHaveLength(5);

    // a replayed subscription is refused too (one token per signed request)
    const envelope = subscribeEnvelope(f, alice);
    expect((await postSubscribe(f, s, envelope)).status).toBe(200);
    expect(await postSubscribe(f, s, envelope)).toEqual({ status: 409, code: 'NONCE_REPLAYED' });
  });

  it('refuses a malformed event id, and a second stream past the per-app limit', async () => {
    await f.close();
    f = await GatewayFixture.create({ streamsPerApp: 1 });
    const { alice } = await scenario(f);
    const s = await rawSession(f);
    const { token } = await postSubscribe(f, s, subscribeEnvelope(f, alice));
    const auth = { authorization: `Bearer ${token as string}` };
    await expect(f.stream('/v1/events?after=01-2', auth)).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(f.stream('/v1/events', { ...auth, 'last-event-id': 'x' })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    });
    const first = parseSse(await f.stream('/v1/events', auth))[Symbol.asyncIterator]();
    await first.next();
    await expect(f.stream('/v1/events', auth)).rejects.toMatchObject({ code: 'STREAM_LIMIT' });
    expect(f.events.size).toBe(1);
  });

  it('refuses to resume from before the retained events (EVENT_ID_EXPIRED); without an id it sends what is kept', async () => {
    await f.close();
    f = await GatewayFixture.create({ retainEvents: 2 });
    const client = f.client();
    const alice = party();
    await client.register(alice, 'patient');
    const { recordId } = await client.upload(alice, { content: utf8('{}'), kind: 'clinical-note' });
    for (let i = 0; i < 20; i++) await client.view(alice, recordId);
    await f.eventsCaughtUp();
    const kept = await collect(client, alice);
    expect(kept.length).toBeLessThan(21);
    expect(kept.at(-1)?.action).toBe('view');
    await expect(collect(client, alice, '1-0')).rejects.toMatchObject({ code: 'EVENT_ID_EXPIRED' });
  });
});
