// SPDX-License-Identifier: Apache-2.0
import type { AccessLayer } from '../../pipeline/access-layer';
import { ERRORS } from '../route-limits';
import { publicKeysSchema } from '../schemas';
import type { RoutePlugin } from '../type-provider';

/** GET /v1/keys: this access layer's K3s and the trusted K4s, with validity windows. */
export const keyRoutes: RoutePlugin<{ readonly org: string; readonly accessLayer: AccessLayer }> = async (
  app,
  { org, accessLayer },
) => {
  app.get('/v1/keys', {
    schema: {
      summary: "This access layer's K3 and the trusted K4 public keys, with validity windows",
      response: { 200: publicKeysSchema, ...ERRORS },
    },
    handler: () => Promise.resolve({ org, ...accessLayer.keys.publicView() }),
  });
  return Promise.resolve();
};
