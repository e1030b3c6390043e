// SPDX-License-Identifier: Apache-2.0
import { privateKeyFromPem, publicKeyFromPrivate } from '@medshare/crypto/sm2';
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { fail, parseAppConfigFile } from '@medshare/protocol';
import type { ClientOptions } from '../client/medshare-client';

/** The app's own configuration: its K2 key file, the gateway, trusted K3 keys, the TLS CA. */
export interface AppConfig {
  readonly path: string;
  readonly client: ClientOptions;
  readonly adminTokenFile: string | undefined;
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Reads the app config file (protocol's AppConfigFile, the type the development first run
 * writes), resolves its paths against the file's folder and reads the K2 key and the CA.
 */
export function loadAppConfig(path: string, overrides: { gatewayUrl?: string } = {}): AppConfig {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, 'utf8'));
  } catch (cause) {
    throw fail(
      'INVALID_INPUT',
      `cannot read app config ${path} (run npm start once to create the development one)`,
      cause,
    );
  }
  const file = parseAppConfigFile(
    overrides.gatewayUrl !== undefined && isPlainObject(value) ? { ...value, gatewayUrl: overrides.gatewayUrl } : value,
  );
  const base = dirname(path);
  const resolved = (p: string): string => (isAbsolute(p) ? p : resolve(base, p));
  const privateKey = privateKeyFromPem(readFileSync(resolved(file.appKeyFile), 'utf8'));
  return {
    path,
    adminTokenFile: file.adminTokenFile === undefined ? undefined : resolved(file.adminTokenFile),
    client: {
      gatewayUrl: file.gatewayUrl,
      appId: file.appId,
      appKey: { privateKey, publicKey: publicKeyFromPrivate(privateKey) },
      trustedAccessKeys: [...file.trustedAccessKeys],
      ...(file.trustedContractKeys === undefined ? {} : { trustedContractKeys: [...file.trustedContractKeys] }),
      ...(file.caFile === undefined ? {} : { ca: readFileSync(resolved(file.caFile)) }),
    },
  };
}
