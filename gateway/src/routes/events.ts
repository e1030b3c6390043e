import { parseEventId, parseSealedMessage } from '@medshare/protocol';
import type { FastifyInstance, FastifyRequest, RouteShorthandOptions } from 'fastify';
import { errorResponses } from '../errors/error-handler';
import type { EventStreams } from '../events/event-streams';
import type { AccessLayer } from '../pipeline/access-layer';
import { eventStreamResponse, eventsHeaders, eventsQuery, sealedSchema } from './schemas';

export interface EventRouteDeps {
  readonly accessLayer: AccessLayer;
  readonly streams: EventStreams;
  readonly errors: Record<number, unknown>;
  /** Rate-limit settings of the sealed-request route (per app) and of the unauthenticated ones (per address). */
  readonly perApp: NonNullable<RouteShorthandOptions['config']>['rateLimit'];
  readonly perAddress: NonNullable<RouteShorthandOptions['config']>['rateLimit'];
  /** Body limit of the subscribe route (app.ts's SMALL_BODY_BYTES). */
  readonly bodyLimit: number;
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
export function registerEventRoutes(app: FastifyInstance, deps: EventRouteDeps): void {
  app.post('/v1/events/subscriptions', {
    schema: {
      summary: 'Subscribe to your access notifications: a sealed request signed with sig1 and sig2; answer: a sealed stream token',
      body: sealedSchema,
      response: { 200: sealedSchema, ...deps.errors },
    },
    // A subscribe request is a few hundred bytes: no reason to read megabytes for one.
    bodyLimit: deps.bodyLimit,
    config: { rateLimit: deps.perApp },
    handler: (request) => deps.accessLayer.subscribe(parseSealedMessage(request.body), request.ip),
  });

  app.get('/v1/events', {
    schema: {
      summary: "Server-sent events: the subscriber's own access notifications, each sealed under the session key",
      querystring: eventsQuery,
      headers: eventsHeaders,
      response: { 200: eventStreamResponse, ...deps.errors, ...errorResponses(410) },
    },
    config: { rateLimit: deps.perAddress },
    handler: (request, reply) => {
      const { session, keyId } = deps.accessLayer.streamFor(bearer(request), request.ip);
      const query = request.query as { after?: string; follow?: string };
      const resumeFrom = query.after ?? request.headers['last-event-id'];
      const after = resumeFrom === undefined ? undefined : parseEventId(resumeFrom, 'after');
      // Every refusal happens before the reply is taken over, so it is an ordinary {code, message} answer.
      deps.streams.check(session.appId, after);
      reply.hijack();
      deps.streams.open({ session, keyId, after, follow: query.follow !== 'false', response: reply.raw });
    },
  });
}
