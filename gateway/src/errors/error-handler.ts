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
    return { status: 415, body: { code: 'INVALID_INPUT', message: 'content type must be application/json' }, internal: false };
  if (e.statusCode === 429) return { status: 429, body: { code: 'RATE_LIMITED', message: 'too many requests for this app' }, internal: false };
  if (e.statusCode === 404) return { status: 404, body: { code: 'INVALID_INPUT', message: 'no such route' }, internal: false };
  return { status: 500, body: { code: 'INTERNAL', message: ERROR_CODES.INTERNAL.summary }, internal: true };
}

const LEDGER_SIDE: ReadonlySet<ErrorCode> = new Set(['LEDGER_UNAVAILABLE', 'OUTCOME_UNKNOWN', 'TRANSACTION_INVALID']);

/** The one error boundary at the HTTP edge (STYLE.md rule 5). */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const { status, body, internal } = errorBodyOf(error);
    if (internal) request.log.error({ err: error }, 'request failed');
    // The ledger's own failures go to the operator with their cause (peer addresses, gRPC
    // details) and the transaction id; the client saw only the code and the cause's name.
    else if (LEDGER_SIDE.has(body.code)) request.log.warn({ code: body.code, txId: body.txId, err: error }, 'ledger failure');
    else request.log.info({ code: body.code }, 'request rejected');
    void reply.status(status).send(body);
  });
  app.setNotFoundHandler((_request, reply) => {
    void reply.status(404).send({ code: 'INVALID_INPUT', message: 'no such route' } satisfies ErrorBody);
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
