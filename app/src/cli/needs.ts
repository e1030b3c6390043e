// SPDX-License-Identifier: Apache-2.0
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { decryptKeyFile, fail } from '@medshare/protocol';
import { MedshareClient, type UserKey } from '../client/medshare-client';
import { httpsTransport } from '../client/transport';
import { loadAppConfig, type AppConfig } from '../config/app-config';
import { MedshareIndicators } from '../indicators/indicators-client';
import { MedshareResearch } from '../research/research-client';
import type { Io, Need } from './command';
import { need, type Values } from './options';
import { readPassphrase } from './passphrase';

/** A call to the gateway's admin API with the admin bearer token. */
export type AdminCall = (method: 'post' | 'get', path: string, body?: unknown) => Promise<unknown>;

function appConfig(values: Values, io: Io): AppConfig {
  const path = resolve(
    values.config ?? io.env.MEDSHARE_APP_CONFIG ?? join(io.env.MEDSHARE_DATA_DIR ?? '.data', 'app', 'app.json'),
  );
  return loadAppConfig(path, values.gateway ? { gatewayUrl: values.gateway } : {});
}

async function loadUserKey(path: string, io: Io): Promise<UserKey> {
  let file: unknown;
  try {
    file = JSON.parse(readFileSync(path, 'utf8'));
  } catch (cause) {
    throw fail('INVALID_INPUT', `cannot read key file ${path}`, cause);
  }
  const { privateKey, publicKey } = await decryptKeyFile(
    file,
    await readPassphrase(io.env, `passphrase for ${path}: `),
  );
  return { privateKey, publicKey };
}

export const nothing: Need<undefined> = {
  kind: 'nothing',
  acquire: () => Promise.resolve({ value: undefined, close() {} }),
};

export const client: Need<MedshareClient> = {
  kind: 'client',
  acquire(values, io) {
    const c = new MedshareClient(appConfig(values, io).client);
    return Promise.resolve({ value: c, close: () => c.close() });
  },
};

/** A client and the user's key from --key (its passphrase from MEDSHARE_PASSPHRASE or a prompt). */
export const userKey: Need<{ readonly client: MedshareClient; readonly user: UserKey }> = {
  kind: 'user key',
  async acquire(values, io) {
    const c = new MedshareClient(appConfig(values, io).client);
    try {
      const user = await loadUserKey(need(values, 'key'), io);
      return { value: { client: c, user }, close: () => c.close() };
    } catch (error) {
      c.close();
      throw error;
    }
  },
};

type UserHeld = { readonly client: MedshareClient; readonly user: UserKey };

/** A client and the user's key, with more made from them (and the app config) for a family of commands. */
function userKeyWith<E extends object>(
  extend: (held: UserHeld, config: AppConfig, values: Values) => E,
): Need<UserHeld & E> {
  return {
    kind: 'user key',
    async acquire(values, io) {
      const held = await userKey.acquire(values, io);
      try {
        return {
          value: { ...held.value, ...extend(held.value, appConfig(values, io), values) },
          close: () => held.close(),
        };
      } catch (error) {
        held.close();
        throw error;
      }
    },
  };
}

/**
 * The research calls (MedshareResearch) for the user of --key; each anonymous request goes through
 * a fresh client (its own session and connection), made from the same app config.
 */
export const researchUser: Need<UserHeld & { readonly research: MedshareResearch }> = userKeyWith(
  ({ client: c }, config) => ({
    research: new MedshareResearch(c, { anonymousClient: () => new MedshareClient(config.client) }),
  }),
);

/**
 * The daily-indicator calls (MedshareIndicators) for the user of --key, with the patients' sealed
 * stores in --store, by default the folder `indicators` beside the app config (the app's data dir).
 */
export const indicatorsUser: Need<UserHeld & { readonly indicators: MedshareIndicators }> = userKeyWith(
  ({ client: c }, config, values) => ({
    indicators: new MedshareIndicators(c, {
      storeDir: resolve(values.store ?? join(dirname(config.path), 'indicators')),
    }),
  }),
);

/** The admin API with the token from the app config's adminTokenFile (embedded runtime only). */
export const adminToken: Need<AdminCall> = {
  kind: 'admin token',
  acquire(values, io) {
    const config = appConfig(values, io);
    const token =
      config.adminTokenFile && existsSync(config.adminTokenFile)
        ? readFileSync(config.adminTokenFile, 'utf8').trim()
        : undefined;
    if (!token)
      throw fail(
        'NOT_ORG_ADMIN',
        'no admin token: the app config has no readable adminTokenFile (admin commands are for the embedded runtime; on Fabric use scripts/admin/)',
      );
    const { gatewayUrl, ca } = config.client;
    const transport = httpsTransport({
      baseUrl: gatewayUrl,
      ...(ca ? { ca } : {}),
      headers: { authorization: `Bearer ${token}` },
    });
    const call: AdminCall = (method, path, body) =>
      method === 'post' ? transport.post(path, body ?? {}) : transport.get(path);
    return Promise.resolve({ value: call, close: () => transport.close() });
  },
};
