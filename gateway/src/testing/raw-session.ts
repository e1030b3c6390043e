// SPDX-License-Identifier: Apache-2.0
import { fromHex, toBase64, utf8 } from '@medshare/crypto/bytes';
import { seal } from '@medshare/crypto/sealed-box';
import { decrypt, generateKeyPair, type Sm2KeyPair } from '@medshare/crypto/sm2';
import { randomBytes } from 'node:crypto';
import { canonicalize, keyIdOf, sessionAad, signFor } from '@medshare/protocol';
import { APP, type GatewayFixture } from './fixture';

/** A session opened by hand (tests only), so tests can seal arbitrary bodies under it. */
export interface RawSession {
  readonly sessionId: string;
  readonly key: Uint8Array;
  readonly expiresAt: number;
}

/** A signed session-open body for the fixture's app (its first K2 unless given). */
export function sessionBody(f: GatewayFixture, k2: Sm2KeyPair = f.keys.k2[0] as Sm2KeyPair): Record<string, unknown> {
  const req = {
    v: 1,
    appId: APP,
    k2Id: keyIdOf(k2.publicKey),
    ephemeralPublicKey: generateKeyPair().publicKey,
    issuedAt: f.now,
    nonce: randomBytes(16).toString('hex'),
  };
  return { ...req, sig2: signFor('session-request', k2, req) };
}

/** Does the session handshake by hand; throws with the gateway's answer when it is refused. */
export async function rawSession(
  f: GatewayFixture,
  k2: Sm2KeyPair = f.keys.k2[0] as Sm2KeyPair,
  remoteAddress = '127.0.0.1',
): Promise<RawSession> {
  const eph = generateKeyPair();
  const req = {
    v: 1,
    appId: APP,
    k2Id: keyIdOf(k2.publicKey),
    ephemeralPublicKey: eph.publicKey,
    issuedAt: f.now,
    nonce: randomBytes(16).toString('hex'),
  };
  const res = await f.app.inject({
    method: 'POST',
    url: '/v1/sessions',
    remoteAddress,
    payload: { ...req, sig2: signFor('session-request', k2, req) },
  });
  if (res.statusCode !== 200) throw new Error(`session open refused: ${res.statusCode} ${res.body}`);
  const answer = res.json<{ sessionId: string; encryptedKey: string; expiresAt: number }>();
  return {
    sessionId: answer.sessionId,
    key: decrypt(eph.privateKey, fromHex(answer.encryptedKey)),
    expiresAt: answer.expiresAt,
  };
}

/** `value` (an envelope) sealed under the session, as POST /v1/requests takes it. */
export function sealFor(s: RawSession, value: unknown): { sessionId: string; ciphertext: string } {
  return {
    sessionId: s.sessionId,
    ciphertext: toBase64(seal(s.key, utf8(canonicalize(value)), sessionAad('request', s.sessionId))),
  };
}
