// SPDX-License-Identifier: Apache-2.0
import { SESSION_HEADER, fail } from '@medshare/protocol';
import type { FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { AccessLayer } from '../pipeline/access-layer';
import { sessionHeaderOf } from './session-header';

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * A sealed route's `preParsing` hook: the session its header names must be live and the
     * source address one its app allows, before the body is read (an unknown session costs no parsing).
     */
    readonly requireLiveSession: (request: FastifyRequest, reply: FastifyReply, payload: unknown) => Promise<unknown>;
  }
}

/** The source allowlist (claim 9) and the live-session check, applied before a sealed body is parsed. */
export const sourceAllowlistPlugin = fp<{ readonly accessLayer: AccessLayer }>(
  (app, { accessLayer }, done) => {
    app.decorate(
      'requireLiveSession',
      (request: FastifyRequest, _reply: FastifyReply, payload: unknown): Promise<unknown> => {
        const sessionId = sessionHeaderOf(request);
        if (sessionId === undefined)
          return Promise.reject(
            fail('INVALID_INPUT', `header ${SESSION_HEADER} must be the request's 32-hex-digit sessionId`),
          );
        accessLayer.sessionAppFrom(sessionId, request.ip);
        return Promise.resolve(payload);
      },
    );
    done();
  },
  { name: 'medshare-source-allowlist', fastify: '5.x' },
);
