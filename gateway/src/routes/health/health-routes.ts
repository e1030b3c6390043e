// SPDX-License-Identifier: Apache-2.0
import type { LedgerBackend } from '../../ledger/backend';
import type { AccessLayer } from '../../pipeline/access-layer';
import type { RoutePlugin } from '../type-provider';

/** /healthz (the process answers) and /readyz (the ledger answers and a K3 can sign). */
export const healthRoutes: RoutePlugin<{ readonly accessLayer: AccessLayer; readonly ledger: LedgerBackend }> = async (
  app,
  { accessLayer, ledger },
) => {
  app.get('/healthz', { schema: { hide: true }, handler: () => Promise.resolve({ status: 'ok' }) });
  app.get('/readyz', {
    schema: { hide: true },
    handler: async (_request, reply) => {
      await ledger.ready();
      if (accessLayer.keys.usableK3(Date.now()).length === 0) {
        return reply.code(503).send({
          code: 'ACCESS_LAYER_NOT_READY',
          message:
            'no usable K3: every key in the keys file is retired, mismatched on the ledger or outside its window',
        });
      }
      return reply.send({ status: 'ready', ledger: ledger.kind });
    },
  });
  return Promise.resolve();
};
