// SPDX-License-Identifier: Apache-2.0
import { isAbsolute, resolve } from 'node:path';
import { HEX64, expectObject, expectString, fail } from '@medshare/protocol';

/** A proxy key this gateway holds (PKCS#8 PEM, like a K3's). */
export interface HostedProxyConfig {
  readonly keyFile: string;
}

/** A proxy another gateway holds: asked with `POST <url>/v1/proxy/reencrypt` (docs/protocol.md §17). */
export interface PeerProxyConfig {
  readonly proxyId: string;
  /** The peer gateway's https origin. */
  readonly url: string;
  /** The peer's TLS CA (PEM file); absent: the system's CAs. */
  readonly caFile: string | undefined;
}

export interface ProxiesConfig {
  readonly hosted: readonly HostedProxyConfig[];
  readonly peers: readonly PeerProxyConfig[];
}

/** A share names at most 16 proxies (MAX_FILE_PROXIES); more configured would never be used. */
const MAX_PROXIES = 16;

function path(base: string, value: unknown, name: string): string {
  const p = expectString(value, name, { maxLength: 1024 });
  return isAbsolute(p) ? p : resolve(base, p);
}

function list(value: unknown, name: string): unknown[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.length > MAX_PROXIES)
    throw fail('INVALID_INPUT', `${name} must be an array of at most ${MAX_PROXIES}`);
  return value;
}

function origin(value: unknown, name: string): string {
  const text = expectString(value, name, { maxLength: 256 });
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw fail('INVALID_INPUT', `${name} must be an https URL`);
  }
  const extra = url.username !== '' || url.password !== '' || url.pathname !== '/' || url.search || url.hash;
  if (url.protocol !== 'https:' || extra)
    throw fail('INVALID_INPUT', `${name} must be an https origin, no credentials, path, query or fragment`);
  return url.origin;
}

/**
 * The gateway config's `proxies` section (absent: none): `{hosted: [{keyFile}], peers: [{proxyId,
 * url, caFile?}]}`. Relative paths resolve against `base`, the config file's folder.
 */
export function parseProxiesConfig(value: unknown, base: string): ProxiesConfig {
  const o = expectObject(value ?? {}, 'config.proxies', ['hosted', 'peers']);
  const hosted = list(o.hosted, 'config.proxies.hosted').map((h, i) => {
    const n = `config.proxies.hosted[${i}]`;
    const e = expectObject(h, n, ['keyFile']);
    return Object.freeze({ keyFile: path(base, e.keyFile, `${n}.keyFile`) });
  });
  const peers = list(o.peers, 'config.proxies.peers').map((p, i) => {
    const n = `config.proxies.peers[${i}]`;
    const e = expectObject(p, n, ['proxyId', 'url', 'caFile']);
    return Object.freeze({
      proxyId: expectString(e.proxyId, `${n}.proxyId`, { pattern: HEX64 }),
      url: origin(e.url, `${n}.url`),
      caFile: e.caFile === undefined ? undefined : path(base, e.caFile, `${n}.caFile`),
    });
  });
  if (new Set(peers.map((p) => p.proxyId)).size !== peers.length)
    throw fail('INVALID_INPUT', 'config.proxies.peers must name distinct proxies');
  return Object.freeze({ hosted: Object.freeze(hosted), peers: Object.freeze(peers) });
}
