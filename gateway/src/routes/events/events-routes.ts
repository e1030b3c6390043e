// SPDX-License-Identifier: Apache-2.0
import { parseEventId, parseSealedMessage } from '@medshare/protocol';
import type { FastifyRequest } from 'fastify';
import { errorResponses } from '../../errors/error-handler';
import type { EventStreams } from '../../events/event-streams';
import type { AccessLayer } from '../../pipeline/access-layer';
import { ERRORS, SMALL_BODY_BYTES } from '../route-limits';
import { eventStreamResponse, eventsHeaders, eventsQuery, sealedSchema } from '../schemas';
import type { RoutePlugin } from '../type-provider';

export interface EventRouteOptions {
  readonly accessLayer: AccessLayer;
  readonly streams: EventStreams;
}

function bearer(request: FastifyRequest): string | undefined {
  const value = request.headers.authorization;
  return value?.startsWith('Bearer ') ? value.slice('Bearer '.length) : undefined;
}

/**
 * A patient's access notifications (docs/protocol.md §14): a sealed, signed subscribe request
 * earns a stream token; the token opens a server-sent-event stream of the events about records
 * that key owns, resumable with Last-Event-ID.
 */
export const eventRoutes: RoutePlugin<EventRouteOptions> = async (app, { accessLayer, streams }) => {
  app.post('/v1/events/subscriptions', {
    schema: {
      summary:
        'Subscribe to your access notifications: a sealed request signed with sig1 and sig2; answer: a sealed stream token',
      body: sealedSchema,
      response: { 200: sealedSchema, ...ERRORS },
    },
    // A subscribe request is a few hundred bytes: no reason to read megabytes for one.
    bodyLimit: SMALL_BODY_BYTES,
    config: { rateLimit: app.rateLimits.perApp },
    handler: (request) => accessLayer.subscribe(parseSealedMessage(request.body), request.ip),
  });

  app.get('/v1/events', {
    schema: {
      summary: "Server-sent events: the subscriber's own access notifications, each sealed under the session key",
      querystring: eventsQuery,
      headers: eventsHeaders,
      response: { 200: eventStreamResponse, ...ERRORS, ...errorResponses(410) },
    },
    config: { rateLimit: app.rateLimits.perAddress },
    handler: (request, reply) => {
      const { session, keyId } = accessLayer.streamFor(bearer(request), request.ip);
      const resumeFrom = request.query.after ?? request.headers['last-event-id'];
      const after = resumeFrom === undefined ? undefined : parseEventId(resumeFrom, 'after');
      // Every refusal happens before the reply is taken over, so it is an ordinary {code, message} answer.
      streams.check(session.appId, after);
      reply.hijack();
      streams.open({ session, keyId, after, follow: request.query.follow !== 'false', response: reply.raw });
    },
  });

  // Streams never finish on their own: end them first, so closing waits only for ordinary requests.
  app.addHook('preClose', (done) => {
    streams.closeAll();
    done();
  });
  return Promise.resolve();
};
