// SPDX-License-Identifier: Apache-2.0
import type { AccessLayer } from '../../pipeline/access-layer';
import { ERRORS } from '../route-limits';
import { directorySchema, keyIdParams } from '../schemas';
import type { RoutePlugin } from '../type-provider';

/** GET /v1/users/:keyId: a registered key's directory entry, signed with K3. */
export const directoryRoutes: RoutePlugin<{ readonly accessLayer: AccessLayer }> = async (app, { accessLayer }) => {
  app.get('/v1/users/:keyId', {
    config: { rateLimit: app.rateLimits.perAddress },
    schema: {
      summary: 'Directory entry of a registered key, signed with K3',
      params: keyIdParams,
      response: { 200: directorySchema, ...ERRORS },
    },
    handler: async (request) => accessLayer.directory(request.params.keyId),
  });
  return Promise.resolve();
};
