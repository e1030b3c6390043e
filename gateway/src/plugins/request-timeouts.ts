// SPDX-License-Identifier: Apache-2.0
import { Transform, type Readable } from 'node:stream';
import { fail } from '@medshare/protocol';
import type { FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { ErrorBody } from '../errors/error-handler';

/** How a file transfer (the PUT and GETs of routes/files) is bounded instead of the request timeout. */
export interface TransferLimits {
  /** No byte moved for this long: the transfer is cut (config.limits.fileIdleTimeoutMs). */
  readonly idleTimeoutMs: number;
  /**
   * The slowest transfer allowed in all: one of `bytes` may take `requestTimeoutMs + bytes /
   * minBytesPerSecond` (config.limits.fileMinBytesPerSecond), so a trickle cannot hold a socket forever.
   */
  readonly minBytesPerSecond: number;
}

export interface RequestTimeoutOptions {
  /** config.limits.requestTimeoutMs: the time every other route has to receive its request. */
  readonly requestTimeoutMs: number;
  readonly transfer: TransferLimits;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** A file transfer route: bounded by idle and size-proportional timeouts, not the request timeout. */
    transfer?: boolean;
  }
  interface FastifyInstance {
    /** The transfer bounds of this gateway, for the routes that move file bytes. */
    readonly transferLimits: TransferLimits & {
      /** The whole-transfer cap for `bytes`: requestTimeoutMs + bytes / minBytesPerSecond. */
      readonly capMs: (bytes: number) => number;
    };
  }
}

/** The JSON answer written straight to the socket when a request is cut before Fastify can answer. */
function cutAnswer(body: ErrorBody): string {
  const json = JSON.stringify(body);
  return `HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(json)}\r\nConnection: close\r\n\r\n${json}`;
}

/**
 * Node's own request timeout is server-wide (`requestTimeout`), so it is off (serverOptions) and
 * this plugin applies it per route: every route but the file transfers must have received its
 * whole request within `requestTimeoutMs` (INVALID_INPUT, then the connection is closed), as Node
 * did; waiting for the answer stays bounded by the socket's idle timeout (`connectionTimeout`).
 * Transfer routes (`config.transfer`) get the socket idle timeout `idleTimeoutMs` instead and
 * bound their bytes themselves (watchUpload, and a cap on downloads).
 */
export const requestTimeoutsPlugin = fp<RequestTimeoutOptions>(
  (app, { requestTimeoutMs, transfer }, done) => {
    app.decorate('transferLimits', {
      ...transfer,
      capMs: (bytes: number) => requestTimeoutMs + Math.ceil((bytes * 1000) / transfer.minBytesPerSecond),
    });
    app.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, next) => {
      const socket = request.raw.socket;
      if (request.routeOptions.config.transfer) {
        // One second above the body watchdog's, so an idle upload gets its coded answer first.
        socket.setTimeout(transfer.idleTimeoutMs + 1000);
        next();
        return;
      }
      const timer = setTimeout(() => {
        if (request.raw.complete) return;
        request.log.info({ code: 'INVALID_INPUT' }, 'request not received in time');
        if (!reply.raw.headersSent && socket.writable) {
          socket.end(
            cutAnswer({
              code: 'INVALID_INPUT',
              message: `the request was not received within ${requestTimeoutMs} ms`,
            }),
          );
        }
        socket.destroySoon();
      }, requestTimeoutMs);
      timer.unref();
      reply.raw.once('close', () => clearTimeout(timer));
      next();
    });
    done();
  },
  { name: 'medshare-request-timeouts', fastify: '5.x' },
);

/**
 * The upload body as the staging writer reads it, cut with INVALID_INPUT when no byte arrives for
 * `idleTimeoutMs` or the whole body takes longer than `capMs`. The caller's refusal path then
 * stores nothing (a failed put leaves no object) and answers with the code.
 */
export function watchUpload(body: Readable, limits: { idleTimeoutMs: number; capMs: number }): Readable {
  const cut = (message: string): void => {
    body.unpipe(watched);
    // What the client still sends is read and dropped; the answer closes the connection.
    body.resume();
    watched.destroy(fail('INVALID_INPUT', message));
  };
  const idle = setTimeout(
    () => cut(`no byte of the upload arrived for ${limits.idleTimeoutMs} ms`),
    limits.idleTimeoutMs,
  );
  const cap = setTimeout(() => cut(`the upload took longer than ${limits.capMs} ms`), limits.capMs);
  const watched = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      idle.refresh();
      callback(null, chunk);
    },
  });
  const stop = (): void => {
    clearTimeout(idle);
    clearTimeout(cap);
  };
  watched.once('close', stop);
  watched.once('end', stop);
  // A body refused before it was read has no reader left to hear a cut: the cut must not be an
  // unhandled 'error' (the process would exit). A reader still attached hears it as before.
  watched.on('error', () => undefined);
  body.once('error', (error) => watched.destroy(error));
  body.pipe(watched);
  return watched;
}
