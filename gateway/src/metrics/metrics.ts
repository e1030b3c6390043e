// SPDX-License-Identifier: Apache-2.0
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Prometheus metrics of one gateway instance (its own registry, so tests can build many). */
export class GatewayMetrics {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: 'medshare_requests_total',
    help: 'Requests by route, operation, outcome and error code',
    labelNames: ['route', 'op', 'outcome', 'code'] as const,
    registers: [this.registry],
  });
  readonly latency = new Histogram({
    name: 'medshare_request_duration_seconds',
    help: 'Request latency by route and operation',
    labelNames: ['route', 'op'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  readonly eventStreams = new Gauge({
    name: 'medshare_event_streams',
    help: 'Open event streams (GET /v1/events)',
    registers: [this.registry],
  });
  readonly eventLogEvents = new Gauge({
    name: 'medshare_event_log_events',
    help: 'Audit events retained in the event log',
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'medshare_' });
  }
}
