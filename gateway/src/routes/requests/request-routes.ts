// SPDX-License-Identifier: Apache-2.0
import { SESSION_HEADER, fail, parseSealedMessage } from '@medshare/protocol';
import type { AccessLayer } from '../../pipeline/access-layer';
import { tagRequest } from '../../plugins/request-metrics';
import { ERRORS } from '../route-limits';
import { sealedSchema, sessionHeaders } from '../schemas';
import type { RoutePlugin } from '../type-provider';

/** POST /v1/requests: every record operation, sealed under the session key and signed (sig1, sig2). */
export const requestRoutes: RoutePlugin<{ readonly accessLayer: AccessLayer }> = async (app, { accessLayer }) => {
  app.post('/v1/requests', {
    schema: {
      summary: 'Send a sealed, signed request (claims 6, 7, 9)',
      headers: sessionHeaders,
      body: sealedSchema,
      response: { 200: sealedSchema, ...ERRORS },
    },
    config: { rateLimit: app.rateLimits.perApp },
    preParsing: app.requireLiveSession,
    handler: async (request) => {
      const sealed = parseSealedMessage(request.body);
      if (sealed.sessionId !== request.headers[SESSION_HEADER])
        throw fail('INVALID_INPUT', `body.sessionId differs from header ${SESSION_HEADER}`);
      const outcome = await accessLayer.handle(sealed, request.ip);
      tagRequest(request, { op: outcome.op });
      return outcome.body;
    },
  });
  return Promise.resolve();
};
