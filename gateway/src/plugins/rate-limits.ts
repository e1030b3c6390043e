// SPDX-License-Identifier: Apache-2.0
import fastifyRateLimit, { type RateLimitOptions } from '@fastify/rate-limit';
import type { FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { DEFAULT_LIMITS } from '../config/config';
import type { AccessLayer } from '../pipeline/access-layer';
import { sessionHeaderOf } from './session-header';

/** The rate limits a route names in `config.rateLimit` (route-level options do not inherit the plugin's). */
export interface RouteRateLimits {
  /** Sealed requests: per app, when the request comes from an address that app allows. */
  readonly perApp: RateLimitOptions;
  /** Unauthenticated routes (directory, event streams): per client address. */
  readonly perAddress: RateLimitOptions;
  /** Session opens: a much lower limit per client address. */
  readonly sessionOpens: RateLimitOptions;
}

declare module 'fastify' {
  interface FastifyInstance {
    readonly rateLimits: RouteRateLimits;
  }
}

export interface RateLimitsOptions {
  readonly accessLayer: AccessLayer;
  readonly requestsPerMinutePerApp: number;
  /** Session opens per source address per minute; DEFAULT_LIMITS' if not given. */
  readonly sessionOpensPerMinutePerAddress?: number | undefined;
}

/**
 * Sealed requests are limited per app: the key is the app of the session, which only a
 * K2-signed handshake opens, so one hospital app cannot starve another. Session opens and
 * directory lookups carry no proof yet when the limit is counted, so they are limited per
 * client address, never by an app id the caller merely claims.
 *
 * Cheap checks first. A sealed request names its session in a header (SESSION_HEADER), so
 * its limit is counted in onRequest, before the body is read, and refused requests count too.
 * It is charged to its app only when it comes from an address that app allows; anything else
 * (a stranger replaying a live session id, garbage) is charged to its own address and can
 * never spend the app's budget.
 */
export const rateLimitsPlugin = fp<RateLimitsOptions>(
  async (app, options) => {
    const perApp = {
      hook: 'onRequest' as const,
      max: options.requestsPerMinutePerApp,
      timeWindow: 60_000,
      keyGenerator: (request: FastifyRequest): string => {
        const sessionId = sessionHeaderOf(request);
        if (sessionId === undefined) return `ip:${request.ip}`;
        try {
          return `app:${options.accessLayer.sessionAppFrom(sessionId, request.ip)}`;
        } catch {
          return `ip:${request.ip}`;
        }
      },
    };
    const perAddress = {
      hook: 'onRequest' as const,
      max: options.requestsPerMinutePerApp,
      timeWindow: 60_000,
      keyGenerator: (request: FastifyRequest): string => `ip:${request.ip}`,
    };
    // A session open costs SM2 work (verify, encrypt, sign) and an app needs one every few
    // minutes: a much lower limit per address, counted before the body is read. The SM2 itself is
    // also charged to a global budget (AccessLayer, GATEWAY_BUSY) that bounds many addresses together.
    const sessionOpens = {
      ...perAddress,
      max: options.sessionOpensPerMinutePerAddress ?? DEFAULT_LIMITS.sessionOpensPerMinutePerAddress,
      keyGenerator: (request: FastifyRequest): string => `open:${request.ip}`,
    };
    await app.register(fastifyRateLimit, { global: false, hook: 'onRequest' });
    app.decorate('rateLimits', { perApp, perAddress, sessionOpens });
  },
  { name: 'medshare-rate-limits', fastify: '5.x' },
);
