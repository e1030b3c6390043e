// SPDX-License-Identifier: Apache-2.0
import type { ErrorCode } from '@medshare/protocol';
import type { FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { errorBodyOf } from '../errors/error-handler';
import { GatewayMetrics } from '../metrics/metrics';

declare module 'fastify' {
  interface FastifyInstance {
    readonly metrics: GatewayMetrics;
  }
}

interface Tagged {
  op?: string;
  code?: ErrorCode;
}
const tags = new WeakMap<FastifyRequest, Tagged>();

/** Names the operation a request carried, for its metrics line (the sealed routes know it only after opening it). */
export function tagRequest(request: FastifyRequest, value: Tagged): void {
  tags.set(request, { ...tags.get(request), ...value });
}

/** Counts and times every request by route, operation, outcome and error code. */
export const requestMetricsPlugin = fp<{ readonly metrics?: GatewayMetrics | undefined }>(
  (app, options, done) => {
    const metrics = options.metrics ?? new GatewayMetrics();
    app.decorate('metrics', metrics);
    app.addHook('onResponse', async (request, reply) => {
      const t = tags.get(request) ?? {};
      const route = request.routeOptions.url ?? 'unknown';
      const outcome = reply.statusCode < 400 ? 'ok' : 'rejected';
      metrics.requests.inc({ route, op: t.op ?? '', outcome, code: t.code ?? '' });
      metrics.latency.observe({ route, op: t.op ?? '' }, reply.elapsedTime / 1000);
    });
    app.addHook('onError', async (request, _reply, error) => {
      tagRequest(request, { code: errorBodyOf(error).body.code });
    });
    done();
  },
  { name: 'medshare-request-metrics', fastify: '5.x' },
);
