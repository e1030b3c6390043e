// SPDX-License-Identifier: Apache-2.0
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { APP_ID, MSP_ID, expectInteger, expectObject, expectOneOf, expectString, fail } from '@medshare/protocol';
import { parseProxiesConfig, type ProxiesConfig } from '../proxy/proxy-config';
import { parseStorageConfig, type StorageConfig } from '../storage/storage-config';

/** The gateway's configuration: read and checked once at start, then passed in, frozen. */
export interface GatewayConfig {
  readonly listen: { readonly host: string; readonly port: number };
  readonly tls: { readonly certFile: string; readonly keyFile: string } | undefined;
  /** The Fabric MSP whose access layer this gateway is. */
  readonly org: string;
  /** Reloadable key material (K2 per app, own K3s, K4 public keys), see keys/key-ring.ts. */
  readonly keysFile: string;
  /** Reverse proxies whose X-Forwarded-For is believed (IPs or CIDRs). Empty: never. */
  readonly trustedProxies: readonly string[];
  readonly ledger: EmbeddedLedgerConfig | FabricLedgerConfig;
  /** Object storage of large files (storage/storage-config.ts); absent: the embedded store. */
  readonly storage: StorageConfig;
  /** Re-encryption proxies (proxy/proxy-config.ts): the keys this gateway holds, and peer gateways' proxies. */
  readonly proxies: ProxiesConfig;
  readonly limits: {
    readonly bodyBytes: number;
    readonly sessionsPerApp: number;
    readonly sessionTtlMs: number;
    readonly replayCacheSize: number;
    readonly requestsPerMinutePerApp: number;
    /** Session opens per source address per minute (an app opens one every few minutes). */
    readonly sessionOpensPerMinutePerAddress: number;
    /**
     * CPU ms per second that SM2 work before authentication (session opens, directory
     * signatures) may take, all callers together; beyond it such requests get GATEWAY_BUSY.
     */
    readonly unauthenticatedCpuMsPerSecond: number;
    /**
     * How long the HTTP server gives one request (Fastify's connectionTimeout and
     * requestTimeout): the ledger's deadlines sit below it, the SDK's timeout above it.
     */
    readonly requestTimeoutMs: number;
    /** Largest large-file upload body (PUT /v1/files/uploads/:uploadId). */
    readonly fileBytes: number;
    /**
     * A file upload or download (PUT /v1/files/uploads/:uploadId, GET /v1/files/:fileId/…) that
     * moves no byte for this long is cut; they are not bound by requestTimeoutMs.
     */
    readonly fileIdleTimeoutMs: number;
    /**
     * The slowest whole file transfer allowed: one of `n` bytes is cut after
     * requestTimeoutMs + n / fileMinBytesPerSecond.
     */
    readonly fileMinBytesPerSecond: number;
    /**
     * Staged uploads no file-upload claimed, and unfinished upload parts, are deleted by a
     * periodic sweep once older than this (never an upload in progress, nor one a claim marks).
     */
    readonly stagingMaxAgeMs: number;
  };
  /** Followed chaincode events (docs/protocol.md §14): where the event log and checkpoint live, and stream bounds. */
  readonly events: {
    readonly dir: string;
    /** Events kept in the log; older ones are dropped (resuming from before them is EVENT_ID_EXPIRED). */
    readonly retain: number;
    readonly streamsPerApp: number;
    readonly heartbeatMs: number;
  };
  /** Bearer token for /v1/admin (embedded runtime only); a file holding it. */
  readonly adminTokenFile: string | undefined;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'silent';
}

export interface EmbeddedLedgerConfig {
  readonly type: 'embedded';
  /** Folder of the embedded ledger's durable log. */
  readonly dir: string;
  /** K4 private key (PKCS#8 PEM): in the embedded runtime this process also hosts the contract. */
  readonly k4KeyFile: string;
}

/** One peer of the gateway's own organization: its gRPC endpoint, TLS host name and TLS CA. */
export interface FabricPeerConfig {
  readonly endpoint: string;
  readonly hostAlias: string;
  readonly tlsCaFile: string;
}

export interface FabricLedgerConfig {
  readonly type: 'fabric';
  /**
   * The peers of the gateway's own org, most preferred first (at least one): the backend uses
   * the first that answers and moves on only when a peer is unreachable (ledger/fabric.ts).
   */
  readonly peers: readonly FabricPeerConfig[];
  /** After moving off the first peer, how long before a call tries it again. */
  readonly preferredPeerRetryMs: number;
  readonly certFile: string;
  readonly keyFile: string;
  readonly channel: string;
  readonly chaincode: string;
  readonly deadlinesMs: {
    readonly evaluate: number;
    readonly endorse: number;
    readonly submit: number;
    readonly commitStatus: number;
  };
  readonly mvccRetries: number;
}

export const DEFAULT_LIMITS: GatewayConfig['limits'] = {
  bodyBytes: 1_500_000,
  sessionsPerApp: 1000,
  sessionTtlMs: 15 * 60 * 1000,
  replayCacheSize: 100_000,
  requestsPerMinutePerApp: 60_000,
  sessionOpensPerMinutePerAddress: 60,
  unauthenticatedCpuMsPerSecond: 250,
  requestTimeoutMs: 30_000,
  fileBytes: 2 * 1024 ** 3,
  fileIdleTimeoutMs: 30_000,
  fileMinBytesPerSecond: 256 * 1024,
  stagingMaxAgeMs: 60 * 60 * 1000,
};

/**
 * Per-step Fabric deadlines. A submit's whole budget is endorse + submit + commitStatus
 * (24 s), under the HTTP request timeout (30 s), under the SDK's timeout (35 s).
 */
export const DEFAULT_DEADLINES_MS: FabricLedgerConfig['deadlinesMs'] = {
  evaluate: 5000,
  endorse: 8000,
  submit: 4000,
  commitStatus: 12_000,
};

const DEFAULT_EVENTS = { retain: 100_000, streamsPerApp: 100, heartbeatMs: 15_000 } as const;
/** How long the Fabric backend stays off its first peer before trying it again. */
export const DEFAULT_PREFERRED_PEER_RETRY_MS = 30_000;
/** At most this many peers per gateway: each costs a gRPC client, and a call may try them all. */
const MAX_PEERS = 8;
const ENDPOINT = /^[A-Za-z0-9.-]+:[0-9]{1,5}$/;

function file(base: string, value: unknown, name: string): string {
  const path = expectString(value, name, { maxLength: 1024 });
  return isAbsolute(path) ? path : resolve(base, path);
}

function loopbackOrAny(host: unknown): string {
  // Servers bind to loopback by default; any other address must be configured explicitly.
  return expectString(host, 'listen.host', { pattern: /^[0-9a-fA-F.:]{2,45}$|^localhost$/ });
}

/** Validates a parsed config object; relative paths resolve against `base` (the file's folder). */
export function parseConfig(value: unknown, base: string, env: NodeJS.ProcessEnv = {}): GatewayConfig {
  const o = expectObject(value, 'config', [
    'listen',
    'tls',
    'org',
    'keysFile',
    'trustedProxies',
    'ledger',
    'storage',
    'proxies',
    'limits',
    'events',
    'adminTokenFile',
    'logLevel',
  ]);
  const events = expectObject(o.events ?? {}, 'config.events', ['dir', 'retain', 'streamsPerApp', 'heartbeatMs']);
  const listen = expectObject(o.listen ?? {}, 'config.listen', ['host', 'port']);
  const tls =
    o.tls === undefined || o.tls === null ? undefined : expectObject(o.tls, 'config.tls', ['certFile', 'keyFile']);
  const ledger = expectObject(o.ledger, 'config.ledger', [
    'type',
    'dir',
    'k4KeyFile',
    'peerEndpoint',
    'peerHostAlias',
    'tlsCaFile',
    'peers',
    'preferredPeerRetryMs',
    'certFile',
    'keyFile',
    'channel',
    'chaincode',
    'deadlinesMs',
    'mvccRetries',
  ]);
  const type = expectOneOf(env.MEDSHARE_LEDGER ?? ledger.type, 'config.ledger.type', ['embedded', 'fabric'] as const);
  const limits = expectObject(o.limits ?? {}, 'config.limits', Object.keys(DEFAULT_LIMITS));
  const proxies = o.trustedProxies ?? [];
  if (!Array.isArray(proxies)) throw fail('INVALID_INPUT', 'config.trustedProxies must be an array');
  const ledgerConfig = type === 'embedded' ? embeddedLedger(ledger, base) : fabricLedger(ledger, base);
  const requestTimeoutMs = expectInteger(
    limits.requestTimeoutMs ?? DEFAULT_LIMITS.requestTimeoutMs,
    'config.limits.requestTimeoutMs',
    1000,
    600_000,
  );
  if (ledgerConfig.type === 'fabric') assertDeadlinesInside(ledgerConfig.deadlinesMs, requestTimeoutMs);
  return Object.freeze({
    listen: Object.freeze(listenOf(listen, env)),
    tls: tlsFilesOf(tls, base),
    org: expectString(o.org, 'config.org', { pattern: MSP_ID }),
    keysFile: file(base, o.keysFile, 'config.keysFile'),
    trustedProxies: Object.freeze(
      proxies.map((p, i) =>
        expectString(p, `config.trustedProxies[${i}]`, { pattern: /^[0-9a-fA-F.:]+(\/[0-9]{1,3})?$/ }),
      ),
    ),
    ledger: Object.freeze(ledgerConfig),
    storage: parseStorageConfig(o.storage, base),
    proxies: parseProxiesConfig(o.proxies, base),
    limits: Object.freeze(limitsOf(limits, requestTimeoutMs)),
    events: Object.freeze(eventsOf(events, base)),
    adminTokenFile: o.adminTokenFile === undefined ? undefined : file(base, o.adminTokenFile, 'config.adminTokenFile'),
    logLevel: logLevelOf(o.logLevel, env),
  });
}

/** MEDSHARE_PORT, when set, overrides `listen.port`. */
function listenOf(listen: Record<string, unknown>, env: NodeJS.ProcessEnv): GatewayConfig['listen'] {
  const port = env.MEDSHARE_PORT ? Number(env.MEDSHARE_PORT) : (listen.port ?? 8443);
  return { host: loopbackOrAny(listen.host ?? '127.0.0.1'), port: expectInteger(port, 'config.listen.port', 0, 65535) };
}

function tlsFilesOf(tls: Record<string, unknown> | undefined, base: string): GatewayConfig['tls'] {
  return tls
    ? Object.freeze({
        certFile: file(base, tls.certFile, 'config.tls.certFile'),
        keyFile: file(base, tls.keyFile, 'config.tls.keyFile'),
      })
    : undefined;
}

/** MEDSHARE_LOG_LEVEL, when set, overrides `logLevel`. */
function logLevelOf(value: unknown, env: NodeJS.ProcessEnv): GatewayConfig['logLevel'] {
  return expectOneOf(env.MEDSHARE_LOG_LEVEL ?? value ?? 'info', 'config.logLevel', [
    'fatal',
    'error',
    'warn',
    'info',
    'debug',
    'silent',
  ] as const);
}

function embeddedLedger(ledger: Record<string, unknown>, base: string): EmbeddedLedgerConfig {
  return {
    type: 'embedded',
    dir: file(base, ledger.dir, 'config.ledger.dir'),
    k4KeyFile: file(base, ledger.k4KeyFile, 'config.ledger.k4KeyFile'),
  };
}

function fabricLedger(ledger: Record<string, unknown>, base: string): FabricLedgerConfig {
  const d = expectObject(ledger.deadlinesMs ?? {}, 'config.ledger.deadlinesMs', [
    'evaluate',
    'endorse',
    'submit',
    'commitStatus',
  ]);
  return {
    type: 'fabric',
    peers: Object.freeze(fabricPeers(ledger, base)),
    preferredPeerRetryMs: expectInteger(
      ledger.preferredPeerRetryMs ?? DEFAULT_PREFERRED_PEER_RETRY_MS,
      'config.ledger.preferredPeerRetryMs',
      1000,
      3_600_000,
    ),
    certFile: file(base, ledger.certFile, 'config.ledger.certFile'),
    keyFile: file(base, ledger.keyFile, 'config.ledger.keyFile'),
    channel: expectString(ledger.channel ?? 'medshare', 'config.ledger.channel', {
      pattern: /^[a-z][a-z0-9.-]{0,48}$/,
    }),
    chaincode: expectString(ledger.chaincode ?? 'medshare', 'config.ledger.chaincode', {
      pattern: /^[A-Za-z0-9_-]{1,64}$/,
    }),
    deadlinesMs: {
      evaluate: expectInteger(
        d.evaluate ?? DEFAULT_DEADLINES_MS.evaluate,
        'config.ledger.deadlinesMs.evaluate',
        100,
        600_000,
      ),
      endorse: expectInteger(
        d.endorse ?? DEFAULT_DEADLINES_MS.endorse,
        'config.ledger.deadlinesMs.endorse',
        100,
        600_000,
      ),
      submit: expectInteger(d.submit ?? DEFAULT_DEADLINES_MS.submit, 'config.ledger.deadlinesMs.submit', 100, 600_000),
      commitStatus: expectInteger(
        d.commitStatus ?? DEFAULT_DEADLINES_MS.commitStatus,
        'config.ledger.deadlinesMs.commitStatus',
        100,
        600_000,
      ),
    },
    mvccRetries: expectInteger(ledger.mvccRetries ?? 3, 'config.ledger.mvccRetries', 0, 10),
  };
}

/** `requestTimeoutMs` is checked first, by the caller, since the ledger's deadlines must sit below it. */
/** The numeric limits: each from the file or its default, within its bounds [min, max]. */
const LIMIT_BOUNDS = {
  fileBytes: [0, 2 ** 40],
  fileIdleTimeoutMs: [1000, 600_000],
  fileMinBytesPerSecond: [1024, 2 ** 30],
  stagingMaxAgeMs: [60_000, 7 * 86_400_000],
  bodyBytes: [1024, 16 * 1024 * 1024],
  sessionsPerApp: [1, 1_000_000],
  sessionTtlMs: [1000, 86_400_000],
  replayCacheSize: [1, 10_000_000],
  requestsPerMinutePerApp: [1, 10_000_000],
  sessionOpensPerMinutePerAddress: [1, 1_000_000],
  unauthenticatedCpuMsPerSecond: [10, 1000],
} as const satisfies Record<string, readonly [number, number]>;

function limitsOf(limits: Record<string, unknown>, requestTimeoutMs: number): GatewayConfig['limits'] {
  const bounded = Object.fromEntries(
    Object.entries(LIMIT_BOUNDS).map(([name, [min, max]]) => [
      name,
      expectInteger(
        limits[name] ?? DEFAULT_LIMITS[name as keyof typeof LIMIT_BOUNDS],
        `config.limits.${name}`,
        min,
        max,
      ),
    ]),
  ) as Record<keyof typeof LIMIT_BOUNDS, number>;
  return { ...bounded, requestTimeoutMs };
}

function eventsOf(events: Record<string, unknown>, base: string): GatewayConfig['events'] {
  return {
    dir: file(base, events.dir ?? 'events', 'config.events.dir'),
    retain: expectInteger(events.retain ?? DEFAULT_EVENTS.retain, 'config.events.retain', 1, 10_000_000),
    streamsPerApp: expectInteger(
      events.streamsPerApp ?? DEFAULT_EVENTS.streamsPerApp,
      'config.events.streamsPerApp',
      1,
      100_000,
    ),
    // Below the server's 30 s idle-socket timeout, which the heartbeat's writes reset.
    heartbeatMs: expectInteger(
      events.heartbeatMs ?? DEFAULT_EVENTS.heartbeatMs,
      'config.events.heartbeatMs',
      10,
      25_000,
    ),
  };
}

/**
 * The org's peers: the single `peerEndpoint`/`peerHostAlias`/`tlsCaFile` (the older form) is the
 * first when present, then `peers` in order. A peer in `peers` without `tlsCaFile` uses the
 * top-level one. Each endpoint appears once.
 */
function fabricPeers(ledger: Record<string, unknown>, base: string): FabricPeerConfig[] {
  const peers: FabricPeerConfig[] = [];
  if (ledger.peerEndpoint !== undefined || ledger.peerHostAlias !== undefined) {
    peers.push({
      endpoint: expectString(ledger.peerEndpoint, 'config.ledger.peerEndpoint', { pattern: ENDPOINT }),
      hostAlias: expectString(ledger.peerHostAlias, 'config.ledger.peerHostAlias', { maxLength: 253 }),
      tlsCaFile: file(base, ledger.tlsCaFile, 'config.ledger.tlsCaFile'),
    });
  }
  const list = ledger.peers ?? [];
  if (!Array.isArray(list)) throw fail('INVALID_INPUT', 'config.ledger.peers must be an array');
  list.forEach((value: unknown, i) => {
    const name = `config.ledger.peers[${i}]`;
    const p = expectObject(value, name, ['endpoint', 'hostAlias', 'tlsCaFile']);
    peers.push({
      endpoint: expectString(p.endpoint, `${name}.endpoint`, { pattern: ENDPOINT }),
      hostAlias: expectString(p.hostAlias, `${name}.hostAlias`, { maxLength: 253 }),
      tlsCaFile: file(base, p.tlsCaFile ?? ledger.tlsCaFile, `${name}.tlsCaFile`),
    });
  });
  if (peers.length === 0)
    throw fail('INVALID_INPUT', 'config.ledger.peers must name at least one peer (or set config.ledger.peerEndpoint)');
  if (peers.length > MAX_PEERS) throw fail('INVALID_INPUT', `config.ledger.peers must name at most ${MAX_PEERS} peers`);
  const first = ledger.peerEndpoint === undefined ? 0 : -1;
  peers.forEach((p, i) => {
    const j = peers.findIndex((q) => q.endpoint === p.endpoint);
    if (j < i) {
      const key = (k: number): string =>
        k + first < 0 ? 'config.ledger.peerEndpoint' : `config.ledger.peers[${k + first}].endpoint`;
      throw fail('INVALID_INPUT', `${key(i)} repeats ${key(j)} (${p.endpoint}): each peer once`);
    }
  });
  return peers.map((p) => Object.freeze(p));
}

/**
 * Deadlines are layered: a Fabric call ends before the HTTP request that made it, so the
 * gateway never keeps working for a client that has gone. A submit may take endorse + submit +
 * commitStatus in all (MVCC retries included); an evaluation takes one evaluate deadline.
 */
function assertDeadlinesInside(d: FabricLedgerConfig['deadlinesMs'], requestTimeoutMs: number): void {
  const submitBudget = d.endorse + d.submit + d.commitStatus;
  if (submitBudget >= requestTimeoutMs) {
    throw fail(
      'INVALID_INPUT',
      `config.ledger.deadlinesMs.endorse + submit + commitStatus (${submitBudget} ms) must be less than config.limits.requestTimeoutMs (${requestTimeoutMs} ms)`,
    );
  }
  if (d.evaluate >= requestTimeoutMs) {
    throw fail(
      'INVALID_INPUT',
      `config.ledger.deadlinesMs.evaluate (${d.evaluate} ms) must be less than config.limits.requestTimeoutMs (${requestTimeoutMs} ms)`,
    );
  }
}

/** Reads the config file named by MEDSHARE_CONFIG (or `path`), with MEDSHARE_* overrides. */
export function loadConfig(path: string, env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw fail('INVALID_INPUT', `cannot read gateway config ${path}`, cause);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw fail('INVALID_INPUT', `gateway config ${path} is not valid JSON`, cause);
  }
  return parseConfig(value, dirname(path), env);
}

export { APP_ID };
