import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { APP_ID, HEX_PUBLIC_KEY, expectObject, expectString, fail, privateKeyFromPem, publicKeyFromPrivate } from '@medshare/protocol';
import type { ClientOptions } from '../client/medshare-client';

/** The app's own configuration: its K2 key file, the gateway, trusted K3 keys, the TLS CA. */
export interface AppConfig {
  readonly path: string;
  readonly client: ClientOptions;
  readonly adminTokenFile: string | undefined;
}

export function loadAppConfig(path: string, overrides: { gatewayUrl?: string } = {}): AppConfig {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, 'utf8'));
  } catch (cause) {
    throw fail('INVALID_INPUT', `cannot read app config ${path} (run npm start once to create the development one)`, cause);
  }
  const o = expectObject(value, 'app config', ['gatewayUrl', 'appId', 'appKeyFile', 'caFile', 'trustedAccessKeys', 'trustedContractKeys', 'adminTokenFile']);
  const base = dirname(path);
  const file = (v: unknown, name: string): string => {
    const p = expectString(v, name, { maxLength: 1024 });
    return isAbsolute(p) ? p : resolve(base, p);
  };
  const keys = (v: unknown, name: string): string[] => {
    if (!Array.isArray(v)) throw fail('INVALID_INPUT', `${name} must be an array`);
    return v.map((k, i) => expectString(k, `${name}[${i}]`, { pattern: HEX_PUBLIC_KEY }));
  };
  const privateKey = privateKeyFromPem(readFileSync(file(o.appKeyFile, 'appKeyFile'), 'utf8'));
  return {
    path,
    adminTokenFile: o.adminTokenFile === undefined ? undefined : file(o.adminTokenFile, 'adminTokenFile'),
    client: {
      gatewayUrl: overrides.gatewayUrl ?? expectString(o.gatewayUrl, 'gatewayUrl', { pattern: /^https:\/\/[^\s]+$/ }),
      appId: expectString(o.appId, 'appId', { pattern: APP_ID }),
      appKey: { privateKey, publicKey: publicKeyFromPrivate(privateKey) },
      trustedAccessKeys: keys(o.trustedAccessKeys, 'trustedAccessKeys'),
      ...(o.trustedContractKeys === undefined ? {} : { trustedContractKeys: keys(o.trustedContractKeys, 'trustedContractKeys') }),
      ...(o.caFile === undefined ? {} : { ca: readFileSync(file(o.caFile, 'caFile')) }),
    },
  };
}
