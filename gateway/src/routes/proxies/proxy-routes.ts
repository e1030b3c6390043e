// SPDX-License-Identifier: Apache-2.0
import { parseJsonText } from '@medshare/protocol';
import type { LedgerBackend } from '../../ledger/backend';
import type { ProxyPool } from '../../proxy/proxy-pool';
import { ERRORS, SMALL_BODY_BYTES } from '../route-limits';
import type { RoutePlugin } from '../type-provider';

export interface ProxyRouteOptions {
  readonly proxies: ProxyPool;
  readonly ledger: LedgerBackend;
}

const hex64 = { type: 'string', pattern: '^[0-9a-f]{64}$' } as const;

const proxyEntry = {
  type: 'object',
  additionalProperties: false,
  required: ['proxyId', 'publicKey', 'org', 'registeredAt'],
  properties: {
    proxyId: hex64,
    publicKey: { type: 'string', pattern: '^04[0-9a-f]{128}$' },
    org: { type: 'string' },
    registeredAt: { type: 'integer' },
    retiredAt: { type: 'integer' },
  },
} as const;

/**
 * The re-encryption proxies (docs/protocol.md §17): the ledger's list, which an owner shares to
 * (it checks proxyId = keyId(publicKey) itself), and the server-to-server re-encryption a peer
 * gateway asks of a proxy this gateway hosts.
 */
export const proxyRoutes: RoutePlugin<ProxyRouteOptions> = async (app, { proxies, ledger }) => {
  app.get('/v1/proxies', {
    schema: {
      summary: 'The registered re-encryption proxies (files:ListProxies), retired ones with retiredAt',
      response: { 200: { type: 'array', items: proxyEntry }, ...ERRORS },
    },
    config: { rateLimit: app.rateLimits.perAddress },
    handler: async () => parseJsonText(await ledger.listProxies(), 'ListProxies', 1 << 20),
  });

  app.post('/v1/proxy/reencrypt', {
    schema: {
      summary: "A peer gateway's K3-signed request: re-encrypt a share's capsule with a proxy hosted here",
      body: {
        type: 'object',
        additionalProperties: false,
        required: ['v', 'fileId', 'receiverKeyId', 'proxyId', 'org', 'issuedAt', 'k3Id', 'sig'],
        properties: {
          v: { type: 'integer', const: 1 },
          fileId: hex64,
          receiverKeyId: hex64,
          proxyId: hex64,
          org: { type: 'string', maxLength: 64 },
          issuedAt: { type: 'integer', minimum: 0 },
          k3Id: hex64,
          sig: { type: 'string', pattern: '^[0-9a-f]{128}$' },
        },
      },
      response: {
        200: {
          type: 'object',
          additionalProperties: false,
          required: ['proxyId', 'capsuleFragment'],
          properties: { proxyId: hex64, capsuleFragment: { type: 'string', pattern: '^[0-9a-f]{718}$' } },
        },
        ...ERRORS,
      },
    },
    bodyLimit: SMALL_BODY_BYTES,
    config: { rateLimit: app.rateLimits.perAddress },
    handler: (request) => proxies.serveRequest(request.body),
  });
  return Promise.resolve();
};
