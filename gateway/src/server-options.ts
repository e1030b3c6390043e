// SPDX-License-Identifier: Apache-2.0
import { isBase64Text } from '@medshare/crypto/bytes';
import type { FastifyRequest, FastifyServerOptions } from 'fastify';
import { DEFAULT_LIMITS } from './config/config';
import { clientErrorHandler, frameworkErrors } from './errors/error-handler';
import type { TransferLimits } from './plugins/request-timeouts';
import { BASE64_PATTERN } from './routes/schemas';

/** Log redaction: keys, tokens and ciphertexts never reach a log line, even by mistake. */
const REDACT_PATHS = [
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
 * ajv's RegExp engine for the route schemas: the base64 pattern of the sealed bodies'
 * ciphertext is tested by crypto's isBase64Text (the same matches; V8 takes ~4 ns a character
 * for the pattern itself, 6 ms for a 1.5 MB body on the thread that serves every client), any
 * other pattern as ajv would compile it.
 */
function schemaRegExp(pattern: string, flags: string): { test(text: string): boolean; toString(): string } {
  if (pattern !== BASE64_PATTERN) return new RegExp(pattern, flags);
  return { test: isBase64Text, toString: () => `/${pattern}/${flags}` };
}
schemaRegExp.code = 'schemaRegExp';

/** How long the server keeps an idle keep-alive socket open. */
export const KEEP_ALIVE_TIMEOUT_MS = 5_000;

export interface ServerOptionsInput {
  bodyLimit: number;
  trustedProxies: readonly string[];
  logLevel: string;
  /** config.limits.requestTimeoutMs; the ledger's deadlines are checked to fit inside it. */
  requestTimeoutMs?: number;
  /** config.limits.fileIdleTimeoutMs and fileMinBytesPerSecond: the file transfers' bounds (plugins/request-timeouts.ts). */
  transfer?: TransferLimits;
  https?: { cert: Buffer; key: Buffer };
  logStream?: NodeJS.WritableStream;
}

/** The Fastify server's own options: logging, limits, timeouts, the edge's error handlers. */
export function serverOptions(
  options: ServerOptionsInput,
): FastifyServerOptions & { https?: { cert: Buffer; key: Buffer } } {
  return {
    logger: {
      level: options.logLevel,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      // The path only: a query string may carry a token or an id that has no place in a log.
      serializers: {
        req: (req: FastifyRequest) => ({
          method: req.method,
          url: req.url.split('?')[0],
          remoteAddress: req.ip,
          remotePort: req.socket.remotePort,
        }),
      },
      ...(options.logStream ? { stream: options.logStream } : {}),
    },
    bodyLimit: options.bodyLimit,
    trustProxy: options.trustedProxies.length > 0 ? [...options.trustedProxies] : false,
    // Requests that become signed transactions are refused on unknown fields, never stripped.
    ajv: {
      customOptions: { removeAdditional: false, allErrors: false, coerceTypes: false, code: { regExp: schemaRegExp } },
    },
    return503OnClosing: true,
    frameworkErrors,
    clientErrorHandler,
    // A socket idle for this long is closed, and that includes one waiting for its answer. The
    // time to receive a request is bounded per route (plugins/request-timeouts.ts: the request
    // timeout for all but the file transfers, which are bounded by progress), since Node's own
    // requestTimeout would cut every upload longer than it; the headers keep Node's bound
    // (headersTimeout, set by buildGateway).
    connectionTimeout: options.requestTimeoutMs ?? DEFAULT_LIMITS.requestTimeoutMs,
    requestTimeout: 0,
    // The SDK's idle sockets close after IDLE_SOCKET_TIMEOUT_MS (4 s), before the server's.
    keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
    ...(options.https ? { https: options.https } : {}),
  };
}
