// SPDX-License-Identifier: Apache-2.0
import { SESSION_HEADER, fail, parseSealedMessage, type SealedMessage } from '@medshare/protocol';
import type { FastifyRequest } from 'fastify';
import type { LoginService } from '../../access/login';
import { ERRORS, SMALL_BODY_BYTES } from '../route-limits';
import { sealedSchema, sessionHeaders } from '../schemas';
import type { RoutePlugin } from '../type-provider';

/** The sealed body, whose sessionId must be the header's (the header was checked before the body was read). */
function sealedOf(request: FastifyRequest): SealedMessage {
  const sealed = parseSealedMessage(request.body);
  if (sealed.sessionId !== request.headers[SESSION_HEADER])
    throw fail('INVALID_INPUT', `body.sessionId differs from header ${SESSION_HEADER}`);
  return sealed;
}

/** Challenge-signed login (docs/protocol.md §7.7): both steps sealed in an open session. */
export const loginRoutes: RoutePlugin<{ readonly login: LoginService }> = async (app, { login }) => {
  const common = {
    bodyLimit: SMALL_BODY_BYTES,
    config: { rateLimit: app.rateLimits.perApp },
    preParsing: app.requireLiveSession,
  };
  app.post('/v1/login/challenges', {
    schema: {
      summary: 'A one-time login challenge for a key, to sign with its K1 (sealed)',
      headers: sessionHeaders,
      body: sealedSchema,
      response: { 200: sealedSchema, ...ERRORS },
    },
    ...common,
    handler: (request) => Promise.resolve(login.challenge(sealedOf(request), request.ip)),
  });
  app.post('/v1/login', {
    schema: {
      summary: 'Log in with a signed challenge; answers a K3-signed login assertion (sealed)',
      headers: sessionHeaders,
      body: sealedSchema,
      response: { 200: sealedSchema, ...ERRORS },
    },
    ...common,
    handler: (request) => login.login(sealedOf(request), request.ip),
  });
  return Promise.resolve();
};
