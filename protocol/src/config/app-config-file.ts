// SPDX-License-Identifier: Apache-2.0
import { fail } from '../errors/medshare-error';
import { APP_ID, HEX_PUBLIC_KEY, expectObject, expectString } from '../validation/assert';

/**
 * The app's config file (`app.json`) as written by the gateway's development first run and read
 * by the app: one type and one parser, so writer and reader cannot drift. File paths are kept as
 * written (relative to the file); the reader resolves them.
 */
export interface AppConfigFile {
  /** The access layer, `https://…`. */
  readonly gatewayUrl: string;
  readonly appId: string;
  /** The app's K2 private key (PEM). */
  readonly appKeyFile: string;
  /** The CA of the gateway's TLS certificate. */
  readonly caFile?: string;
  /** The K3 public keys whose session answers and sig5 the app believes. */
  readonly trustedAccessKeys: readonly string[];
  readonly trustedContractKeys?: readonly string[];
  /** The embedded runtime's admin token (admin CLI commands). */
  readonly adminTokenFile?: string;
}

const FIELDS = [
  'gatewayUrl',
  'appId',
  'appKeyFile',
  'caFile',
  'trustedAccessKeys',
  'trustedContractKeys',
  'adminTokenFile',
] as const;

function publicKeys(value: unknown, name: string): string[] {
  if (!Array.isArray(value)) throw fail('INVALID_INPUT', `${name} must be an array`);
  return value.map((k, i) => expectString(k, `${name}[${i}]`, { pattern: HEX_PUBLIC_KEY }));
}

const path = (value: unknown, name: string): string => expectString(value, name, { maxLength: 1024 });

/** Checks an app config file's JSON value; throws INVALID_INPUT naming the field. */
export function parseAppConfigFile(value: unknown, name = 'app config'): AppConfigFile {
  const o = expectObject(value, name, FIELDS);
  return {
    gatewayUrl: expectString(o.gatewayUrl, 'gatewayUrl', { pattern: /^https:\/\/[^\s]+$/ }),
    appId: expectString(o.appId, 'appId', { pattern: APP_ID }),
    appKeyFile: path(o.appKeyFile, 'appKeyFile'),
    ...(o.caFile === undefined ? {} : { caFile: path(o.caFile, 'caFile') }),
    trustedAccessKeys: publicKeys(o.trustedAccessKeys, 'trustedAccessKeys'),
    ...(o.trustedContractKeys === undefined
      ? {}
      : { trustedContractKeys: publicKeys(o.trustedContractKeys, 'trustedContractKeys') }),
    ...(o.adminTokenFile === undefined ? {} : { adminTokenFile: path(o.adminTokenFile, 'adminTokenFile') }),
  };
}
