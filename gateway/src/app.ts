// SPDX-License-Identifier: Apache-2.0
import Fastify, { type FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { LoginService } from './access/login';
import type { EventStreams } from './events/event-streams';
import type { FileService } from './files/file-service';
import type { ProxyPool } from './proxy/proxy-pool';
import type { LedgerBackend } from './ledger/backend';
import type { GatewayMetrics } from './metrics/metrics';
import type { AccessLayer } from './pipeline/access-layer';
import { errorHandlerPlugin } from './plugins/error-handler';
import { openApiPlugin } from './plugins/openapi';
import { rateLimitsPlugin } from './plugins/rate-limits';
import { requestMetricsPlugin } from './plugins/request-metrics';
import { requestTimeoutsPlugin } from './plugins/request-timeouts';
import { sourceAllowlistPlugin } from './plugins/source-allowlist';
import { adminRoutes } from './routes/admin/admin-routes';
import { directoryRoutes } from './routes/directory/directory-routes';
import { eventRoutes } from './routes/events/events-routes';
import { fileRoutes } from './routes/files/files-routes';
import { proxyRoutes } from './routes/proxies/proxy-routes';
import { healthRoutes } from './routes/health/health-routes';
import { keyRoutes } from './routes/keys/key-routes';
import { loginRoutes } from './routes/login/login-routes';
import { metricsRoutes } from './routes/metrics/metrics-routes';
import { requestRoutes } from './routes/requests/request-routes';
import { sessionRoutes } from './routes/sessions/session-routes';
import { DEFAULT_LIMITS } from './config/config';
import { serverOptions, type ServerOptionsInput } from './server-options';

export interface GatewayDeps {
  readonly org: string;
  readonly accessLayer: AccessLayer;
  readonly ledger: LedgerBackend;
  /** The event log's streams (GET /v1/events); ended before the server closes. */
  readonly events: EventStreams;
  readonly metrics?: GatewayMetrics;
  /** Large files (routes/files) and the proxies (routes/proxies): absent, the gateway serves no files. */
  readonly files?: { readonly service: FileService; readonly proxies: ProxyPool };
  /** Challenge-signed login (routes/login); absent, the gateway serves no login. */
  readonly login?: LoginService;
  /** Enables /v1/admin on a ledger whose org admin this gateway is (embedded runtime only). */
  readonly adminToken?: string;
  /** Called after an admin call changed this org's K3 entries (re-reads them from the ledger). */
  readonly onAccessKeysChanged?: () => Promise<void>;
  readonly requestsPerMinutePerApp: number;
  /** Session opens per source address per minute; DEFAULT_LIMITS' if not given. */
  readonly sessionOpensPerMinutePerAddress?: number;
}

/**
 * The gateway as one plugin: infrastructure first (error boundary, OpenAPI, rate limits,
 * metrics, source allowlist), then the routes, one plugin per resource. Registration order is
 * the OpenAPI document's path order. `server.ts` only listens.
 */
const gatewayPlugin = fp<GatewayDeps>(
  async (app, deps) => {
    const { accessLayer, ledger, events } = deps;
    await app.register(errorHandlerPlugin);
    await app.register(openApiPlugin);
    await app.register(rateLimitsPlugin, {
      accessLayer,
      requestsPerMinutePerApp: deps.requestsPerMinutePerApp,
      sessionOpensPerMinutePerAddress: deps.sessionOpensPerMinutePerAddress,
    });
    await app.register(requestMetricsPlugin, { metrics: deps.metrics });
    await app.register(sourceAllowlistPlugin, { accessLayer });

    await app.register(sessionRoutes, { accessLayer });
    await app.register(requestRoutes, { accessLayer });
    await app.register(eventRoutes, { accessLayer, streams: events });
    if (deps.login) await app.register(loginRoutes, { login: deps.login });
    if (deps.files) {
      await app.register(fileRoutes, { files: deps.files.service });
      await app.register(proxyRoutes, { proxies: deps.files.proxies, ledger });
    }
    await app.register(directoryRoutes, { accessLayer });
    await app.register(keyRoutes, { org: deps.org, accessLayer });
    await app.register(healthRoutes, { accessLayer, ledger });
    await app.register(metricsRoutes, { events });
    const orgAdmin = ledger.orgAdmin();
    if (deps.adminToken && orgAdmin) {
      await app.register(adminRoutes, {
        accessLayer,
        orgAdmin,
        token: deps.adminToken,
        onAccessKeysChanged: deps.onAccessKeysChanged,
      });
    }
  },
  { name: 'medshare-gateway', fastify: '5.x' },
);

/** Builds a ready-to-listen (or inject) Fastify instance. */
export async function buildGateway(deps: GatewayDeps, options: ServerOptionsInput): Promise<FastifyInstance> {
  const app = Fastify(serverOptions(options));
  // Slow headers are still cut by Node within the request timeout (Fastify has no option for it).
  app.server.headersTimeout = options.requestTimeoutMs ?? DEFAULT_LIMITS.requestTimeoutMs;
  await app.register(requestTimeoutsPlugin, {
    requestTimeoutMs: options.requestTimeoutMs ?? DEFAULT_LIMITS.requestTimeoutMs,
    transfer: options.transfer ?? {
      idleTimeoutMs: DEFAULT_LIMITS.fileIdleTimeoutMs,
      minBytesPerSecond: DEFAULT_LIMITS.fileMinBytesPerSecond,
    },
  });
  await app.register(gatewayPlugin, deps);
  await app.ready();
  return app;
}
