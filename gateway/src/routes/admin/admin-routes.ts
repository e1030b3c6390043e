// SPDX-License-Identifier: Apache-2.0
import { createHash, timingSafeEqual } from 'node:crypto';
import { fail } from '@medshare/protocol';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { OrgAdminLedger } from '../../ledger/backend';
import type { AccessLayer } from '../../pipeline/access-layer';
import { ERRORS, SMALL_BODY_BYTES } from '../route-limits';
import {
  accessKeyBody,
  anyObject,
  appPolicyBody,
  keyIdParams,
  pageQuery,
  recordIdParams,
  retireBody,
} from '../schemas';
import type { RoutePlugin } from '../type-provider';

export interface AdminRouteOptions {
  readonly accessLayer: AccessLayer;
  readonly orgAdmin: OrgAdminLedger;
  readonly token: string;
  /** Called after an admin call changed this org's K3 entries (re-reads them from the ledger). */
  readonly onAccessKeysChanged?: (() => Promise<void>) | undefined;
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

const json = (text: string): unknown => JSON.parse(text) as unknown;

/**
 * Org-admin operations of a gateway that is its own org admin (the embedded runtime; on Fabric,
 * admins use the peer CLI scripts with their own identities). Authenticated by a bearer token
 * kept in the data directory, checked in `onRequest`: before the body is parsed or validated,
 * so a caller without the token learns nothing about the schema.
 */
export const adminRoutes: RoutePlugin<AdminRouteOptions> = async (app, options) => {
  const { accessLayer, orgAdmin } = options;
  const expected = digest(`Bearer ${options.token}`);
  const authenticate = (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    const given = digest(request.headers.authorization ?? '');
    if (!timingSafeEqual(given, expected))
      return Promise.reject(fail('NOT_ORG_ADMIN', 'admin API needs the admin bearer token'));
    return Promise.resolve();
  };
  app.post('/v1/admin/users/:keyId/approve', {
    schema: {
      summary: 'Approve a doctor or institution (org admin)',
      params: keyIdParams,
      response: { 200: anyObject, ...ERRORS },
    },
    bodyLimit: SMALL_BODY_BYTES,
    onRequest: authenticate,
    handler: async (request) => json(await orgAdmin.approveUser(request.params.keyId)),
  });
  app.post('/v1/admin/access-keys', {
    schema: {
      summary: 'Register an access-layer key K3 for this org',
      body: accessKeyBody,
      response: { 200: anyObject, ...ERRORS },
    },
    bodyLimit: SMALL_BODY_BYTES,
    onRequest: authenticate,
    handler: async (request) => {
      const { publicKey, notBefore, notAfter } = request.body;
      const result = json(await orgAdmin.registerAccessKey({ publicKey, notBefore, notAfter }));
      await options.onAccessKeysChanged?.();
      return result;
    },
  });
  app.post('/v1/admin/access-keys/:keyId/retire', {
    schema: {
      summary: 'Retire a K3 of this org',
      params: keyIdParams,
      body: retireBody,
      response: { 200: anyObject, ...ERRORS },
    },
    bodyLimit: SMALL_BODY_BYTES,
    onRequest: authenticate,
    handler: async (request) => {
      // The body is optional: a retire without one retires now (Fastify leaves an absent body undefined).
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition
      const at = request.body?.retireAt;
      const { keyId } = request.params;
      // A running gateway never retires its own last signing key: every sealed request would
      // then fail. Add and register another K3 first; it takes over signing at once.
      const ring = accessLayer.keys;
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
      const result = json(await orgAdmin.retireAccessKey(keyId, at));
      await options.onAccessKeysChanged?.();
      return result;
    },
  });
  app.post('/v1/admin/app-policy', {
    schema: {
      summary: "Set this org's app-version policy: a minimum version and denied versions (SemVer)",
      body: appPolicyBody,
      response: { 200: anyObject, ...ERRORS },
    },
    bodyLimit: SMALL_BODY_BYTES,
    onRequest: authenticate,
    handler: async (request) => {
      const { minVersion, denied } = request.body;
      const result = json(await orgAdmin.setAppPolicy(minVersion ?? '', (denied ?? []).join(',')));
      // This gateway checks the new policy from its next request on (others within their cache's 30 s).
      accessLayer.environment?.forgetPolicy();
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
      const { pageSize, bookmark } = request.query;
      return json(await orgAdmin.adminAuditTrail(request.params.recordId, pageSize, bookmark));
    },
  });
  return Promise.resolve();
};
