// SPDX-License-Identifier: Apache-2.0
import type { EventStreams } from '../../events/event-streams';
import type { RoutePlugin } from '../type-provider';

/** GET /metrics: Prometheus text, with the event streams' gauges read at scrape time. */
export const metricsRoutes: RoutePlugin<{ readonly events: EventStreams }> = async (app, { events }) => {
  app.get('/metrics', {
    schema: { hide: true },
    handler: async (_request, reply) => {
      app.metrics.eventStreams.set(events.size);
      app.metrics.eventLogEvents.set(events.log.size);
      return reply.header('content-type', app.metrics.registry.contentType).send(await app.metrics.registry.metrics());
    },
  });
  return Promise.resolve();
};
