// SPDX-License-Identifier: Apache-2.0
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

interface MappedError {
  readonly status: number;
  readonly body: ErrorBody;
  readonly internal: boolean;
}

const INTERNAL_ERROR: MappedError = {
  status: 500,
  body: { code: 'INTERNAL', message: ERROR_CODES.INTERNAL.summary },
  internal: true,
};

function refused(status: number, code: ErrorCode, message: string): MappedError {
  return { status, body: { code, message }, internal: false };
}

const BODY_TOO_LARGE = refused(413, 'PAYLOAD_TOO_LARGE', 'request body is larger than allowed');
const INVALID_JSON = refused(400, 'INVALID_INPUT', 'request body is not valid JSON');

/** Fastify's own error codes that are the client's doing, each with the answer it gets. */
const FASTIFY_CODES: ReadonlyMap<string, MappedError> = new Map([
  ['FST_ERR_CTP_INVALID_MEDIA_TYPE', refused(415, 'UNSUPPORTED_MEDIA_TYPE', 'content type must be application/json')],
  ['FST_ERR_BAD_URL', refused(400, 'INVALID_INPUT', 'the request URL is not valid (bad percent-encoding)')],
  ['FST_ERR_MAX_PARAM_LENGTH', refused(414, 'URI_TOO_LONG', 'a path parameter is longer than allowed')],
  ['FST_ERR_ASYNC_CONSTRAINT', refused(400, 'INVALID_INPUT', 'the request matches no route constraint')],
]);

type FrameworkError = Partial<FastifyError> & { validation?: unknown };

/** Maps anything thrown to a code; only MedshareError and Fastify's own client errors keep their text. */
export function errorBodyOf(error: unknown): { status: number; body: ErrorBody; internal: boolean } {
  if (error instanceof MedshareError) return codedErrorBody(error);
  return frameworkErrorBody(error as FrameworkError);
}

function codedErrorBody(error: MedshareError): MappedError {
  // The internal code's text is generic on purpose: details go to the log, not the client.
  const internal = error.code === 'INTERNAL';
  return {
    status: httpStatusOf(error.code),
    body: {
      code: error.code,
      message: internal ? ERROR_CODES.INTERNAL.summary : error.detail,
      ...(internal ? {} : txIdOf(error)),
    },
    internal,
  };
}

function frameworkErrorBody(e: FrameworkError): MappedError {
  if (e.validation) return refused(400, 'INVALID_INPUT', `request ${e.message ?? 'failed validation'}`);
  if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return BODY_TOO_LARGE;
  if (isInvalidJson(e)) return INVALID_JSON;
  const known = e.code === undefined ? undefined : FASTIFY_CODES.get(e.code);
  return known ?? statusErrorBody(e.statusCode);
}

function isInvalidJson(e: FrameworkError): boolean {
  return (
    e.code === 'FST_ERR_CTP_INVALID_JSON_BODY' ||
    e.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' ||
    (e.statusCode === 400 && e.name === 'SyntaxError')
  );
}

function statusErrorBody(statusCode: number | undefined): MappedError {
  if (statusCode === 429) {
    return refused(
      429,
      'RATE_LIMITED',
      'too many requests this minute (sealed requests are counted per app, session opens and directory lookups per address)',
    );
  }
  if (statusCode === 404) return refused(404, 'ROUTE_NOT_FOUND', 'no such route');
  // Any other client error Fastify raises becomes a plain 400 in our codes (none is expected).
  if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500)
    return refused(400, 'INVALID_INPUT', 'the request was refused by the HTTP layer');
  return INTERNAL_ERROR;
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

/** The one error boundary at the HTTP edge: every refusal leaves with its code (docs/protocol.md §11). */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const { status, body, internal } = errorBodyOf(error);
    if (internal) request.log.error({ err: error }, 'request failed');
    // The ledger's own failures go to the operator with their cause (peer addresses, gRPC
    // details) and the transaction id; the client saw only the code and the cause's name.
    else if (LEDGER_SIDE.has(body.code))
      request.log.warn({ code: body.code, txId: body.txId, err: error }, 'ledger failure');
    else request.log.info({ code: body.code }, 'request rejected');
    // The SM2 budget refills within a second (access/work-budget.ts); a session's turn for its
    // large requests comes as fast as one is opened (pipeline/heavy-turns.ts).
    if (body.code === 'GATEWAY_BUSY' || body.code === 'SESSION_BUSY') void reply.header('retry-after', '1');
    void reply.status(status).send(body);
  });
  app.setNotFoundHandler((request, reply) => {
    void reply
      .status(404)
      .send({ code: 'ROUTE_NOT_FOUND', message: `no route ${request.method} for this path` } satisfies ErrorBody);
  });
}

export const errorSchema = {
  type: 'object',
  required: ['code', 'message'],
  additionalProperties: false,
  properties: {
    code: { type: 'string', enum: Object.keys(ERROR_CODES) },
    message: { type: 'string' },
    txId: {
      type: 'string',
      pattern: TX_ID.source,
      description: 'the Fabric transaction id, when the failure belongs to one (always for OUTCOME_UNKNOWN)',
    },
  },
} as const;

/** The same error schema under every status a route can return. */
export function errorResponses(...statuses: number[]): Record<number, typeof errorSchema> {
  return Object.fromEntries(statuses.map((s) => [s, errorSchema]));
}
