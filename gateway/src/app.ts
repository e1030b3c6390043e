import { createHash, timingSafeEqual } from 'node:crypto';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifySwagger from '@fastify/swagger';
import { SESSION_HEADER, SESSION_ID, fail, parseSealedMessage, type ErrorCode } from '@medshare/protocol';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import fp from 'fastify-plugin';
import { DEFAULT_LIMITS } from './config/config';
import { clientErrorHandler, errorBodyOf, errorResponses, frameworkErrors, installErrorHandler } from './errors/error-handler';
import type { LedgerBackend } from './ledger/backend';
import { EmbeddedBackend } from './ledger/embedded';
import { GatewayMetrics } from './metrics/metrics';
import type { EventStreams } from './events/event-streams';
import type { AccessLayer } from './pipeline/access-layer';
import { registerEventRoutes } from './routes/events';
import {
  accessKeyBody,
  anyObject,
  directorySchema,
  keyIdParams,
  pageQuery,
  publicKeysSchema,
  recordIdParams,
  retireBody,
  sealedSchema,
  sessionAnswerSchema,
  sessionHeaders,
  sessionRequestSchema,
} from './routes/schemas';

export interface GatewayDeps {
  readonly org: string;
  readonly accessLayer: AccessLayer;
  readonly ledger: LedgerBackend;
  /** The event log's streams (GET /v1/events); ended before the server closes. */
  readonly events: EventStreams;
  readonly metrics?: GatewayMetrics;
  /** Enables /v1/admin (embedded runtime only). */
  readonly adminToken?: string;
  /** Called after an admin call changed this org's K3 entries (re-reads them from the ledger). */
  readonly onAccessKeysChanged?: () => Promise<void>;
  readonly requestsPerMinutePerApp: number;
  /** Session opens per source address per minute; DEFAULT_LIMITS' if not given. */
  readonly sessionOpensPerMinutePerAddress?: number;
}

/** Log redaction: keys, tokens and ciphertexts never reach a log line, even by mistake. */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'privateKey',
  'key',
  'sessionKey',
  'ciphertext',
  'plaintext',
  'passphrase',
  'token',
  '*.privateKey',
  '*.key',
  '*.sessionKey',
  '*.ciphertext',
  '*.plaintext',
  '*.passphrase',
  '*.token',
  'body',
];

/**
 * Body limit of the routes whose bodies are small (a session open is about 400 bytes, admin calls
 * less): a flood of large bodies there is refused on its Content-Length, before a byte is read.
 * Sealed requests take config.limits.bodyBytes.
 */
export const SMALL_BODY_BYTES = 4096;

/** The session header of a request, if it has the form of a session id. */
function sessionHeaderOf(request: FastifyRequest): string | undefined {
  const value = request.headers[SESSION_HEADER];
  return typeof value === 'string' && SESSION_ID.test(value) ? value : undefined;
}

/** How long the server keeps an idle keep-alive socket open. */
export const KEEP_ALIVE_TIMEOUT_MS = 5_000;

export function serverOptions(options: {
  bodyLimit: number;
  trustedProxies: readonly string[];
  logLevel: string;
  /** config.limits.requestTimeoutMs; the ledger's deadlines are checked to fit inside it. */
  requestTimeoutMs?: number;
  https?: { cert: Buffer; key: Buffer };
  logStream?: NodeJS.WritableStream;
}): FastifyServerOptions & { https?: { cert: Buffer; key: Buffer } } {
  return {
    logger: {
      level: options.logLevel,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      // The path only: a query string may carry a token or an id that has no place in a log.
      serializers: {
        req: (req: FastifyRequest) => ({ method: req.method, url: req.url.split('?')[0], remoteAddress: req.ip, remotePort: req.socket.remotePort }),
      },
      ...(options.logStream ? { stream: options.logStream } : {}),
    },
    bodyLimit: options.bodyLimit,
    trustProxy: options.trustedProxies.length > 0 ? [...options.trustedProxies] : false,
    // Requests that become signed transactions are refused on unknown fields, never stripped.
    ajv: { customOptions: { removeAdditional: false, allErrors: false, coerceTypes: false } },
    return503OnClosing: true,
    frameworkErrors,
    clientErrorHandler,
    // A socket idle for this long is closed, and that includes one waiting for its answer: it
    // bounds the whole request, so both timeouts are the one configured request timeout.
    connectionTimeout: options.requestTimeoutMs ?? DEFAULT_LIMITS.requestTimeoutMs,
    requestTimeout: options.requestTimeoutMs ?? DEFAULT_LIMITS.requestTimeoutMs,
    // The SDK's idle sockets close after IDLE_SOCKET_TIMEOUT_MS (4 s), before the server's.
    keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
    ...(options.https ? { https: options.https } : {}),
  };
}

const ERRORS = errorResponses(400, 401, 403, 404, 409, 413, 414, 415, 429, 431, 500, 502, 503, 504);

interface Tagged {
  op?: string;
  code?: ErrorCode;
}
const tags = new WeakMap<FastifyRequest, Tagged>();
function tag(request: FastifyRequest, value: Tagged): void {
  tags.set(request, { ...tags.get(request), ...value });
}

/** The gateway's routes as one plugin; `server.ts` only listens. */
export const gatewayPlugin = fp<GatewayDeps>(
  async (app, deps) => {
    const metrics = deps.metrics ?? new GatewayMetrics();
    installErrorHandler(app);
    // JSON only: without this, Fastify's built-in text/plain parser turns a text body into a
    // schema error (400) instead of the unsupported media type it is (415).
    app.removeContentTypeParser(['text/plain']);

    await app.register(fastifySwagger, {
      openapi: {
        openapi: '3.0.3',
        info: { title: 'medshare access layer', version: '1.0.0', description: 'Sessions, sealed requests and the signature chain (docs/protocol.md).' },
      },
    });

    // Sealed requests are limited per app: the key is the app of the session, which only a
    // K2-signed handshake opens, so one hospital app cannot starve another. Session opens and
    // directory lookups carry no proof yet when the limit is counted, so they are limited per
    // client address, never by an app id the caller merely claims. Limits are given on each
    // route: route-level options do not inherit the plugin's.
    //
    // Cheap checks first. A sealed request names its session in a header (SESSION_HEADER), so
    // its limit is counted in onRequest, before the body is read, and refused requests count too.
    // It is charged to its app only when it comes from an address that app allows; anything else
    // (a stranger replaying a live session id, garbage) is charged to its own address and can
    // never spend the app's budget. Then, still before the body is read (preParsing), the session
    // must be live and the source allowed: an unknown session costs no parsing.
    const perApp = {
      hook: 'onRequest' as const,
      max: deps.requestsPerMinutePerApp,
      timeWindow: 60_000,
      keyGenerator: (request: FastifyRequest): string => {
        const sessionId = sessionHeaderOf(request);
        if (sessionId === undefined) return `ip:${request.ip}`;
        try {
          return `app:${deps.accessLayer.sessionAppFrom(sessionId, request.ip)}`;
        } catch {
          return `ip:${request.ip}`;
        }
      },
    };
    const liveSession = (request: FastifyRequest, _reply: FastifyReply, payload: unknown): Promise<unknown> => {
      const sessionId = sessionHeaderOf(request);
      if (sessionId === undefined) return Promise.reject(fail('INVALID_INPUT', `header ${SESSION_HEADER} must be the request's 32-hex-digit sessionId`));
      deps.accessLayer.sessionAppFrom(sessionId, request.ip);
      return Promise.resolve(payload);
    };
    const perAddress = {
      hook: 'onRequest' as const,
      max: deps.requestsPerMinutePerApp,
      timeWindow: 60_000,
      keyGenerator: (request: FastifyRequest): string => `ip:${request.ip}`,
    };
    // A session open costs SM2 work (verify, encrypt, sign) and an app needs one every few
    // minutes: a much lower limit per address, counted before the body is read. The SM2 itself is
    // also charged to a global budget (AccessLayer, GATEWAY_BUSY) that bounds many addresses together.
    const sessionOpens = {
      ...perAddress,
      max: deps.sessionOpensPerMinutePerAddress ?? DEFAULT_LIMITS.sessionOpensPerMinutePerAddress,
      keyGenerator: (request: FastifyRequest): string => `open:${request.ip}`,
    };
    await app.register(fastifyRateLimit, { global: false, hook: 'onRequest' });

    app.addHook('onResponse', async (request, reply) => {
      const t = tags.get(request) ?? {};
      const route = request.routeOptions.url ?? 'unknown';
      const outcome = reply.statusCode < 400 ? 'ok' : 'rejected';
      metrics.requests.inc({ route, op: t.op ?? '', outcome, code: t.code ?? '' });
      metrics.latency.observe({ route, op: t.op ?? '' }, reply.elapsedTime / 1000);
    });
    app.addHook('onError', async (request, _reply, error) => {
      tag(request, { code: errorBodyOf(error).body.code });
    });

    app.post('/v1/sessions', {
      schema: { summary: 'Open an encrypted session (claim 8)', body: sessionRequestSchema, response: { 200: sessionAnswerSchema, ...ERRORS } },
      bodyLimit: SMALL_BODY_BYTES,
      config: { rateLimit: sessionOpens },
      handler: (request) => Promise.resolve(deps.accessLayer.openSession(request.body, request.ip)),
    });

    app.post('/v1/requests', {
      schema: {
        summary: 'Send a sealed, signed request (claims 6, 7, 9)',
        headers: sessionHeaders,
        body: sealedSchema,
        response: { 200: sealedSchema, ...ERRORS },
      },
      config: { rateLimit: perApp },
      preParsing: liveSession,
      handler: async (request) => {
        const sealed = parseSealedMessage(request.body);
        if (sealed.sessionId !== request.headers[SESSION_HEADER]) throw fail('INVALID_INPUT', `body.sessionId differs from header ${SESSION_HEADER}`);
        const outcome = await deps.accessLayer.handle(sealed, request.ip);
        tag(request, { op: outcome.op });
        return outcome.body;
      },
    });

    registerEventRoutes(app, { accessLayer: deps.accessLayer, streams: deps.events, errors: ERRORS, perApp, perAddress, bodyLimit: SMALL_BODY_BYTES });
    // Streams never finish on their own: end them first, so closing waits only for ordinary requests.
    app.addHook('preClose', (done) => {
      deps.events.closeAll();
      done();
    });

    app.get('/v1/users/:keyId', {
      config: { rateLimit: perAddress },
      schema: { summary: 'Directory entry of a registered key, signed with K3', params: keyIdParams, response: { 200: directorySchema, ...ERRORS } },
      handler: async (request) => deps.accessLayer.directory((request.params as { keyId: string }).keyId),
    });

    app.get('/v1/keys', {
      schema: { summary: "This access layer's K3 and the trusted K4 public keys, with validity windows", response: { 200: publicKeysSchema, ...ERRORS } },
      handler: () => Promise.resolve({ org: deps.org, ...deps.accessLayer.keys.publicView() }),
    });

    app.get('/healthz', { schema: { hide: true }, handler: () => Promise.resolve({ status: 'ok' }) });
    app.get('/readyz', {
      schema: { hide: true },
      handler: async (_request, reply) => {
        await deps.ledger.ready();
        if (deps.accessLayer.keys.usableK3(Date.now()).length === 0) {
          return reply.code(503).send({
            code: 'ACCESS_LAYER_NOT_READY',
            message: 'no usable K3: every key in the keys file is retired, mismatched on the ledger or outside its window',
          });
        }
        return reply.send({ status: 'ready', ledger: deps.ledger.kind });
      },
    });
    app.get('/metrics', {
      schema: { hide: true },
      handler: async (_request, reply) => {
        metrics.eventStreams.set(deps.events.size);
        metrics.eventLogEvents.set(deps.events.log.size);
        return reply.header('content-type', metrics.registry.contentType).send(await metrics.registry.metrics());
      },
    });
    app.get('/openapi.json', { schema: { hide: true }, handler: () => Promise.resolve(app.swagger()) });

    if (deps.adminToken && deps.ledger instanceof EmbeddedBackend) registerAdminRoutes(app, deps.ledger, deps.adminToken, deps);
  },
  { name: 'medshare-gateway', fastify: '5.x' },
);

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/**
 * Org-admin operations of the embedded runtime (on Fabric, admins use the peer CLI scripts with
 * their own identities). Authenticated by a bearer token kept in the data directory, checked in
 * `onRequest`: before the body is parsed or validated, so a caller without the token learns
 * nothing about the schema.
 */
function registerAdminRoutes(app: FastifyInstance, ledger: EmbeddedBackend, token: string, deps: GatewayDeps): void {
  const expected = digest(`Bearer ${token}`);
  const authenticate = (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    const given = digest(request.headers.authorization ?? '');
    if (!timingSafeEqual(given, expected)) return Promise.reject(fail('NOT_ORG_ADMIN', 'admin API needs the admin bearer token'));
    return Promise.resolve();
  };
  const json = (text: string): unknown => JSON.parse(text) as unknown;
  app.post('/v1/admin/users/:keyId/approve', {
    schema: { summary: 'Approve a doctor or institution (org admin)', params: keyIdParams, response: { 200: anyObject, ...ERRORS } },
    bodyLimit: SMALL_BODY_BYTES,
    onRequest: authenticate,
    handler: async (request) => json(await ledger.submitAsAdmin('registry:ApproveUser', [(request.params as { keyId: string }).keyId])),
  });
  app.post('/v1/admin/access-keys', {
    schema: { summary: 'Register an access-layer key K3 for this org', body: accessKeyBody, response: { 200: anyObject, ...ERRORS } },
    bodyLimit: SMALL_BODY_BYTES,
    onRequest: authenticate,
    handler: async (request) => {
      const body = request.body as { publicKey: string; notBefore: number; notAfter: number };
      const result = json(await ledger.submitAsAdmin('layer-keys:RegisterAccessKey', [body.publicKey, String(body.notBefore), String(body.notAfter)]));
      await deps.onAccessKeysChanged?.();
      return result;
    },
  });
  app.post('/v1/admin/access-keys/:keyId/retire', {
    schema: { summary: 'Retire a K3 of this org', params: keyIdParams, body: retireBody, response: { 200: anyObject, ...ERRORS } },
    bodyLimit: SMALL_BODY_BYTES,
    onRequest: authenticate,
    handler: async (request) => {
      const at = (request.body as { retireAt?: number } | undefined)?.retireAt;
      const { keyId } = request.params as { keyId: string };
      // A running gateway never retires its own last signing key: every sealed request would
      // then fail. Add and register another K3 first; it takes over signing at once.
      const ring = deps.accessLayer.keys;
      const now = Date.now();
      // An already retired key passes through (the contract answers it idempotently).
      if (
        ring.k3.some((k) => k.keyId === keyId) &&
        ring.ledgerStatus(keyId)?.status !== 'retired' &&
        ring.usableK3(Math.max(now, at ?? now), keyId).length === 0
      ) {
        throw fail(
          'KEY_IN_USE',
          `K3 ${keyId} is this gateway's last usable signing key: add another K3 to the keys file and register it before retiring this one`,
        );
      }
      const result = json(await ledger.submitAsAdmin('layer-keys:RetireAccessKey', [keyId, at === undefined ? '' : String(at)]));
      await deps.onAccessKeysChanged?.();
      return result;
    },
  });
  app.get('/v1/admin/records/:recordId/audit', {
    schema: {
      summary: "A record's audit trail (admin of the upload org; no data)",
      params: recordIdParams,
      querystring: pageQuery,
      response: { 200: anyObject, ...ERRORS },
    },
    bodyLimit: SMALL_BODY_BYTES,
    onRequest: authenticate,
    handler: async (request) => {
      const q = request.query as { pageSize: number; bookmark: string };
      return json(await ledger.evaluateAsAdmin('audit:AdminAuditTrail', [(request.params as { recordId: string }).recordId, String(q.pageSize), q.bookmark]));
    },
  });
}

/** Builds a ready-to-listen (or inject) Fastify instance. */
export async function buildGateway(deps: GatewayDeps, options: Parameters<typeof serverOptions>[0]): Promise<FastifyInstance> {
  const app = Fastify(serverOptions(options));
  await app.register(gatewayPlugin, deps);
  await app.ready();
  return app;
}
