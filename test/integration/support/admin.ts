// SPDX-License-Identifier: Apache-2.0
import { readFileSync } from 'node:fs';
import { httpsTransport, type AppConfig, type Transport } from '@medshare/app';

/** The embedded runtime's admin API, with the admin token the app config names (development layout). */
export function adminTransport(config: AppConfig): Transport {
  return httpsTransport({
    baseUrl: config.client.gatewayUrl,
    ...(config.client.ca ? { ca: config.client.ca } : {}),
    headers: { authorization: `Bearer ${readFileSync(config.adminTokenFile as string, 'utf8').trim()}` },
  });
}
