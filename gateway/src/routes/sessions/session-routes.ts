// SPDX-License-Identifier: Apache-2.0
import type { AccessLayer } from '../../pipeline/access-layer';
import { ERRORS, SMALL_BODY_BYTES } from '../route-limits';
import { sessionAnswerSchema, sessionRequestSchema } from '../schemas';
import type { RoutePlugin } from '../type-provider';

/** POST /v1/sessions: the SM2-sealed SM4 session handshake (docs/protocol.md). */
export const sessionRoutes: RoutePlugin<{ readonly accessLayer: AccessLayer }> = async (app, { accessLayer }) => {
  app.post('/v1/sessions', {
    schema: {
      summary: 'Open an encrypted session (claim 8)',
      body: sessionRequestSchema,
      response: { 200: sessionAnswerSchema, ...ERRORS },
    },
    bodyLimit: SMALL_BODY_BYTES,
    config: { rateLimit: app.rateLimits.sessionOpens },
    handler: (request) => Promise.resolve(accessLayer.openSession(request.body, request.ip)),
  });
  return Promise.resolve();
};
