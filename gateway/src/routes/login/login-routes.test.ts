// SPDX-License-Identifier: Apache-2.0
import { fromBase64, toBase64, utf8 } from '@medshare/crypto/bytes';
import { open, seal } from '@medshare/crypto/sealed-box';
import { generateKeyPair, type Sm2KeyPair } from '@medshare/crypto/sm2';
import {
  SESSION_HEADER,
  canonicalize,
  parseLoginChallenge,
  sessionAad,
  signFor,
  verifyLoginAssertion,
  type LoginChallenge,
} from '@medshare/protocol';
import { APP, GatewayFixture, ORG, party } from '../../testing/fixture';
import { rawSession, type RawSession } from '../../testing/raw-session';

/** Posts `value` sealed in `s`; resolves with the status and the opened answer (or the error body). */
async function post(
  f: GatewayFixture,
  s: RawSession,
  url: string,
  value: unknown,
): Promise<{ status: number; body: { code?: string; message?: string } & Record<string, unknown> }> {
  const ciphertext = toBase64(seal(s.key, utf8(canonicalize(value)), sessionAad('request', s.sessionId)));
  const res = await f.app.inject({
    method: 'POST',
    url,
    headers: { [SESSION_HEADER]: s.sessionId },
    payload: { sessionId: s.sessionId, ciphertext },
  });
  if (res.statusCode !== 200) return { status: res.statusCode, body: res.json() };
  const sealed = res.json<{ ciphertext: string }>();
  const plain = open(s.key, fromBase64(sealed.ciphertext), sessionAad('response', s.sessionId));
  return { status: 200, body: JSON.parse(Buffer.from(plain).toString('utf8')) as Record<string, unknown> };
}

async function challengeFor(f: GatewayFixture, s: RawSession, keyId: string): Promise<LoginChallenge> {
  const { status, body } = await post(f, s, '/v1/login/challenges', { v: 1, keyId });
  expect(status).toBe(200);
  return parseLoginChallenge(body);
}

describe('challenge-signed login (docs/protocol.md §7.7)', () => {
  let f: GatewayFixture;
  let s: RawSession;
  const patient = party();
  const doctor = party();
  beforeAll(async () => {
    f = await GatewayFixture.create();
    await f.client().register(patient, 'patient');
    await f.client().register(doctor, 'doctor');
  });
  beforeEach(async () => {
    s = await rawSession(f);
  });
  afterAll(() => f.close());

  /** A refused login attempt: its code, and the ledger untouched (logins never write it). */
  async function refused(challenge: LoginChallenge, signer: Sm2KeyPair, code: string, message?: RegExp): Promise<void> {
    const before = f.snapshot();
    const { status, body } = await post(f, s, '/v1/login', {
      v: 1,
      challenge,
      signature: signFor('login', signer, challenge),
    });
    expect({ status: status >= 400, code: body.code }).toEqual({ status: true, code });
    if (message) expect(body.message).toMatch(message);
    expect(f.snapshot()).toBe(before);
  }

  it('the SDK logs a patient in: a K3-signed assertion that verifies offline; the ledger is not written', async () => {
    const before = f.snapshot();
    const signed = await f.client().login(patient);
    expect(f.snapshot()).toBe(before);
    const assertion = verifyLoginAssertion(signed, {
      trustedAccessKeys: f.keys.k3.map((k) => k.publicKey),
      now: f.now,
      appId: APP,
    });
    expect(assertion).toEqual({
      v: 1,
      keyId: patient.keyId,
      role: 'patient',
      userOrg: ORG,
      appId: APP,
      gatewayOrg: ORG,
      nonce: expect.stringMatching(/^[0-9a-f]{64}$/) as string,
      issuedAt: f.now,
      expiresAt: f.now + 8 * 3_600_000,
    });
    // Offline, elsewhere: another app, a tampered assertion, a later day.
    const check = { trustedAccessKeys: f.keys.k3.map((k) => k.publicKey), now: f.now, appId: APP };
    expect(() => verifyLoginAssertion(signed, { ...check, appId: 'other.app' })).toThrow(
      expect.objectContaining({ code: 'LOGIN_ASSERTION_INVALID' }),
    );
    expect(() =>
      verifyLoginAssertion({ ...signed, assertion: { ...signed.assertion, role: 'doctor' } }, check),
    ).toThrow(expect.objectContaining({ code: 'LOGIN_ASSERTION_INVALID' }));
    expect(() => verifyLoginAssertion(signed, { ...check, now: f.now + 8 * 3_600_000 + 1 })).toThrow(
      expect.objectContaining({ code: 'LOGIN_ASSERTION_INVALID' }),
    );
  });

  it('the challenge is bound to the session, the app and the key, and lives a minute', async () => {
    const challenge = await challengeFor(f, s, patient.keyId);
    expect(challenge).toMatchObject({ sessionId: s.sessionId, appId: APP, keyId: patient.keyId, org: ORG });
    expect(challenge.expiresAt - challenge.issuedAt).toBe(60_000);
  });

  it('a signature by another key than the challenge names: SIG1_INVALID', async () => {
    await refused(await challengeFor(f, s, patient.keyId), generateKeyPair(), 'SIG1_INVALID');
  });

  it('an unregistered key: NOT_REGISTERED', async () => {
    const stranger = party();
    await refused(await challengeFor(f, s, stranger.keyId), stranger, 'NOT_REGISTERED');
  });

  it('a doctor not yet approved: NOT_APPROVED', async () => {
    await refused(await challengeFor(f, s, doctor.keyId), doctor, 'NOT_APPROVED', /not approved/);
  });

  it('a replayed challenge is refused, and so is one spent by a failed attempt', async () => {
    const challenge = await challengeFor(f, s, patient.keyId);
    const ok = await post(f, s, '/v1/login', { v: 1, challenge, signature: signFor('login', patient, challenge) });
    expect(ok.status).toBe(200);
    await refused(challenge, patient, 'LOGIN_CHALLENGE_INVALID', /unknown or was already used/);
    const spent = await challengeFor(f, s, patient.keyId);
    await refused(spent, generateKeyPair(), 'SIG1_INVALID');
    await refused(spent, patient, 'LOGIN_CHALLENGE_INVALID');
  });

  it('an expired challenge is refused', async () => {
    const challenge = await challengeFor(f, s, patient.keyId);
    f.now += 60_001;
    try {
      await refused(challenge, patient, 'LOGIN_CHALLENGE_INVALID', /expired/);
    } finally {
      f.now -= 60_001;
    }
  });

  it('a challenge presented in another session, or altered, is refused', async () => {
    const challenge = await challengeFor(f, s, patient.keyId);
    const other = await rawSession(f);
    const signature = signFor('login', patient, challenge);
    const elsewhere = await post(f, other, '/v1/login', { v: 1, challenge, signature });
    expect(elsewhere.body).toMatchObject({
      code: 'LOGIN_CHALLENGE_INVALID',
      message: expect.stringMatching(/another session/) as string,
    });
    // Still usable in its own session after that (a stranger's try does not spend it)…
    const altered = { ...challenge, expiresAt: challenge.expiresAt + 3_600_000 };
    // …but not altered: the user signed what they were sent, and the gateway checks it is what it sent.
    await refused(altered, patient, 'LOGIN_CHALLENGE_INVALID', /differs/);
  });

  it('malformed login messages are INVALID_INPUT', async () => {
    for (const [url, value] of [
      ['/v1/login/challenges', { v: 1, keyId: 'A'.repeat(64) }],
      ['/v1/login/challenges', { v: 1, keyId: patient.keyId, extra: 1 }],
      ['/v1/login', { v: 1, challenge: 'not an object', signature: '0'.repeat(128) }],
    ] as const) {
      const { body } = await post(f, s, url, value);
      expect(body.code).toBe('INVALID_INPUT');
    }
  });
});
