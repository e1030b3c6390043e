import { ERROR_CODES, MedshareError, httpStatusOf, type ErrorCode } from '@medshare/protocol';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

export interface ErrorBody {
  readonly code: ErrorCode;
  readonly message: string;
  /**
   * The Fabric transaction the failure belongs to, when there is one. For OUTCOME_UNKNOWN it
   * names the transaction whose commit is in doubt.
   */
  readonly txId?: string;
}

const TX_ID = /^[0-9a-f]{64}$/;

function txIdOf(error: MedshareError): { txId?: string } {
  const txId = error.context.txId;
  return typeof txId === 'string' && TX_ID.test(txId) ? { txId } : {};
}

/** Maps anything thrown to a code; only MedshareError and Fastify's own client errors keep their text. */
export function errorBodyOf(error: unknown): { status: number; body: ErrorBody; internal: boolean } {
  if (error instanceof MedshareError) {
    // The internal code's text is generic on purpose: details go to the log, not the client.
    const internal = error.code === 'INTERNAL';
    return {
      status: httpStatusOf(error.code),
      body: { code: error.code, message: internal ? ERROR_CODES.INTERNAL.summary : error.detail, ...(internal ? {} : txIdOf(error)) },
      internal,
    };
  }
  const e = error as Partial<FastifyError> & { validation?: unknown };
  if (e.validation) return { status: 400, body: { code: 'INVALID_INPUT', message: `request ${e.message ?? 'failed validation'}` }, internal: false };
  if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
    return { status: 413, body: { code: 'PAYLOAD_TOO_LARGE', message: 'request body is larger than allowed' }, internal: false };
  if (e.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || e.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || (e.statusCode === 400 && e.name === 'SyntaxError')) {
    return { status: 400, body: { code: 'INVALID_INPUT', message: 'request body is not valid JSON' }, internal: false };
  }
  if (e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE')
    return { status: 415, body: { code: 'UNSUPPORTED_MEDIA_TYPE', message: 'content type must be application/json' }, internal: false };
  if (e.code === 'FST_ERR_BAD_URL')
    return { status: 400, body: { code: 'INVALID_INPUT', message: 'the request URL is not valid (bad percent-encoding)' }, internal: false };
  if (e.code === 'FST_ERR_MAX_PARAM_LENGTH')
    return { status: 414, body: { code: 'URI_TOO_LONG', message: 'a path parameter is longer than allowed' }, internal: false };
  if (e.code === 'FST_ERR_ASYNC_CONSTRAINT')
    return { status: 400, body: { code: 'INVALID_INPUT', message: 'the request matches no route constraint' }, internal: false };
  if (e.statusCode === 429)
    return {
      status: 429,
      body: {
        code: 'RATE_LIMITED',
        message: 'too many requests this minute (sealed requests are counted per app, session opens and directory lookups per address)',
      },
      internal: false,
    };
  if (e.statusCode === 404) return { status: 404, body: { code: 'ROUTE_NOT_FOUND', message: 'no such route' }, internal: false };
  // Any other client error Fastify raises becomes a plain 400 in our codes (none is expected).
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500)
    return { status: 400, body: { code: 'INVALID_INPUT', message: 'the request was refused by the HTTP layer' }, internal: false };
  return { status: 500, body: { code: 'INTERNAL', message: ERROR_CODES.INTERNAL.summary }, internal: true };
}

const LEDGER_SIDE: ReadonlySet<ErrorCode> = new Set(['LEDGER_UNAVAILABLE', 'OUTCOME_UNKNOWN', 'TRANSACTION_INVALID']);

/** Fastify's router errors (bad URL encoding, over-long parameters), before any route runs. */
export function frameworkErrors(error: unknown, _request: FastifyRequest, reply: FastifyReply): void {
  const { status, body } = errorBodyOf(error);
  void reply.status(status).send(body);
}

const REASONS: Readonly<Record<number, string>> = { 400: 'Bad Request', 431: 'Request Header Fields Too Large' };

/**
 * Node's HTTP parser refuses some requests before Fastify sees them (malformed request line,
 * headers over the limit); Node would answer with a bare status line. Answer with our JSON.
 */
export function clientErrorHandler(
  error: Error & { code?: string },
  socket: { writable: boolean; end(data: string): void; destroy(error?: Error): void },
): void {
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const [status, body]: [number, ErrorBody] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [431, { code: 'HEADERS_TOO_LARGE', message: 'the request headers are larger than allowed' }]
      : [400, { code: 'INVALID_INPUT', message: 'the request is not valid HTTP/1.1' }];
  const json = JSON.stringify(body);
  socket.end(
    `HTTP/1.1 ${status} ${REASONS[status] ?? ''}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(json)}\r\nConnection: close\r\n\r\n${json}`,
  );
}

/** The one error boundary at the HTTP edge (STYLE.md rule 5). */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const { status, body, internal } = errorBodyOf(error);
    if (internal) request.log.error({ err: error }, 'request failed');
    // The ledger's own failures go to the operator with their cause (peer addresses, gRPC
    // details) and the transaction id; the client saw only the code and the cause's name.
    else if (LEDGER_SIDE.has(body.code)) request.log.warn({ code: body.code, txId: body.txId, err: error }, 'ledger failure');
    else request.log.info({ code: body.code }, 'request rejected');
    // The SM2 budget refills within a second (access/work-budget.ts).
    if (body.code === 'GATEWAY_BUSY') void reply.header('retry-after', '1');
    void reply.status(status).send(body);
  });
  app.setNotFoundHandler((request, reply) => {
    void reply.status(404).send({ code: 'ROUTE_NOT_FOUND', message: `no route ${request.method} for this path` } satisfies ErrorBody);
  });
}

export const errorSchema = {
  type: 'object',
  required: ['code', 'message'],
  additionalProperties: false,
  properties: {
    code: { type: 'string', enum: Object.keys(ERROR_CODES) },
    message: { type: 'string' },
    txId: { type: 'string', pattern: TX_ID.source, description: 'the Fabric transaction id, when the failure belongs to one (always for OUTCOME_UNKNOWN)' },
  },
} as const;

/** The same error schema under every status a route can return. */
export function errorResponses(...statuses: number[]): Record<number, typeof errorSchema> {
  return Object.fromEntries(statuses.map((s) => [s, errorSchema]));
}
