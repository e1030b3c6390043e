// SPDX-License-Identifier: Apache-2.0
import { fromBase64, toBase64 } from '@medshare/crypto/bytes';
import { generateKeyPair, type Sm2KeyPair } from '@medshare/crypto/sm2';
import { SESSION_HEADER } from '@medshare/protocol';
import { GatewayFixture, party } from '../../testing/fixture';
import { rawSession, sealFor, sessionBody, type RawSession } from '../../testing/raw-session';
import { envelopeFor, refused, sealedInject } from '../../testing/sealed-requests';

describe('POST /v1/requests: every rejection has a code and changes nothing', () => {
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
    await refused(
      f,
      { ...sealFor(s, envelopeFor(f, party(), 'register')), sessionId: 'f'.repeat(32) },
      401,
      'SESSION_UNKNOWN',
    );
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
    await refused(
      f,
      sealFor(s, { ...env, sig2: (env.sig2 as string).replace(/^./, (c) => (c === '0' ? '1' : '0')) }),
      401,
      'SIG2_INVALID',
    );
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
    await refused(f, sealFor(s, envelopeFor(f, party(), 'register')), 403, 'SOURCE_NOT_ALLOWED', {
      remoteAddress: '127.0.0.2',
    });
    await refused(f, {}, 403, 'SOURCE_NOT_ALLOWED', {
      url: '/v1/sessions',
      remoteAddress: '127.0.0.2',
      raw: JSON.stringify(sessionBody(f)),
    });
  });

  it('oversized body, malformed JSON, unknown fields (outside and inside the seal), wrong app', async () => {
    await refused(f, {}, 413, 'PAYLOAD_TOO_LARGE', {
      raw: JSON.stringify({ sessionId: s.sessionId, ciphertext: 'A'.repeat(70 * 1024) }),
    });
    await refused(f, {}, 400, 'INVALID_INPUT', { raw: '{"sessionId": ', headers: { [SESSION_HEADER]: s.sessionId } });
    await refused(f, { ...sealFor(s, envelopeFor(f, party(), 'register')), extra: 1 }, 400, 'INVALID_INPUT');
    await refused(f, sealFor(s, { ...envelopeFor(f, party(), 'register'), extra: 1 }), 400, 'INVALID_INPUT');
    await refused(f, {}, 401, 'UNKNOWN_APP', {
      url: '/v1/sessions',
      raw: JSON.stringify({ ...sessionBody(f), appId: 'other.app' }),
    });
  });
});
