// SPDX-License-Identifier: Apache-2.0
import { type Sm2KeyPair } from '@medshare/crypto/sm2';
import { randomBytes } from 'node:crypto';
import { chainPayload, keyIdOf, newRequest, signFor, SESSION_HEADER } from '@medshare/protocol';
import { APP, type GatewayFixture } from './fixture';

/** A signed envelope (sig1 by `user`, sig2 by `k2`) for a fresh register or a first page of records. */
export function envelopeFor(
  f: GatewayFixture,
  user: Sm2KeyPair,
  op: 'list-records' | 'register',
  k2: Sm2KeyPair = f.keys.k2[0] as Sm2KeyPair,
): Record<string, unknown> {
  const body =
    op === 'register'
      ? { role: 'patient' as const, publicKey: user.publicKey, pseudonym: randomBytes(32).toString('hex') }
      : { pageSize: 10, bookmark: '' };
  const request = newRequest({ op, body: body, appId: APP, keyId: keyIdOf(user.publicKey), now: f.now });
  const sig1 = signFor('sig1', user, request);
  return {
    request,
    sig1,
    sig2: signFor('sig2', k2, chainPayload(request as never, sig1)),
    k2Id: keyIdOf(k2.publicKey),
  };
}

/** The inject options of a sealed request: its session id goes in the session header too, as the SDK sends it. */
export function sealedInject(payload: { sessionId: string; ciphertext: string }): {
  method: 'POST';
  url: string;
  headers: Record<string, string>;
  payload: object;
} {
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
export async function refused(
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
