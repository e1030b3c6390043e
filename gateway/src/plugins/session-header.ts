// SPDX-License-Identifier: Apache-2.0
import { SESSION_HEADER, SESSION_ID } from '@medshare/protocol';
import type { FastifyRequest } from 'fastify';

/** The session header of a request, if it has the form of a session id. */
export function sessionHeaderOf(request: FastifyRequest): string | undefined {
  const value = request.headers[SESSION_HEADER];
  return typeof value === 'string' && SESSION_ID.test(value) ? value : undefined;
}
