// SPDX-License-Identifier: Apache-2.0
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { GatewayConfig } from './config/config';
import { GatewayEnvironment } from './access/environment';
import { LoginService } from './access/login';
import { K3Reconciler } from './keys/k3-reconciler';
import { DurableCheckpointer } from './events/checkpointer';
import { EventLog } from './events/event-log';
import { EventStreams } from './events/event-streams';
import { EventFollower } from './events/follower';
import { KeyRing } from './keys/key-ring';
import type { LedgerBackend } from './ledger/backend';
import { EmbeddedWorkerBackend } from './ledger/embedded-worker';
import { FabricBackend } from './ledger/fabric';
import type { PeerChangeLog } from './ledger/peer-order';
import { GatewayMetrics } from './metrics/metrics';
import { AccessLayer } from './pipeline/access-layer';
import { buildGateway } from './app';
import { FileService } from './files/file-service';
import { ProxyKey } from './proxy/proxy';
import { ProxyPool } from './proxy/proxy-pool';
import { checkHostedProxies } from './proxy/proxy-status';
import type { BlobStore } from './storage/blob-store';
import { openBlobStore } from './storage/storage-config';

export interface Gateway {
  readonly app: FastifyInstance;
  readonly accessLayer: AccessLayer;
  readonly ledger: LedgerBackend;
  /** Follows the contract's events into the event log (started by createGateway). */
  readonly follower: EventFollower;
  readonly events: EventStreams;
  readonly store: BlobStore;
  readonly proxies: ProxyPool;
  /** Re-reads the keys file; on error keeps the current keys and rethrows. */
  reloadKeys(): void;
  /** Compares the K3s with the ledger (registering them on the embedded ledger); logs, never throws. */
  reconcileKeys(): Promise<boolean>;
  close(): Promise<void>;
}

/** `log` hears the Fabric backend's changes of peer (ledger/peer-order.ts). */
async function openLedger(config: GatewayConfig, log?: PeerChangeLog): Promise<LedgerBackend> {
  return config.ledger.type === 'embedded'
    ? EmbeddedWorkerBackend.open(config.ledger, config.org)
    : FabricBackend.connect(config.ledger, config.org, log);
}

/** Wires config → keys, ledger, access layer and the Fastify app (not yet listening). */
export async function createGateway(config: GatewayConfig, given?: LedgerBackend): Promise<Gateway> {
  // Like the reconciler's, the ledger's log goes to the app's logger, built below.
  const ledger =
    given ?? (await openLedger(config, { info: (o, m) => app.log.info(o, m), warn: (o, m) => app.log.warn(o, m) }));
  const accessLayer = new AccessLayer(KeyRing.load(config.keysFile), ledger, {
    sessionTtlMs: config.limits.sessionTtlMs,
    sessionsPerApp: config.limits.sessionsPerApp,
    replayCacheSize: config.limits.replayCacheSize,
    unauthenticatedCpuMsPerSecond: config.limits.unauthenticatedCpuMsPerSecond,
  });
  const store = await openBlobStore(config.storage);
  await store.ready();
  const proxies = new ProxyPool({
    hosted: config.proxies.hosted.map((h) => ProxyKey.fromFile(h.keyFile)),
    peers: config.proxies.peers,
    ledger,
    org: config.org,
    signer: () => accessLayer.signingK3(),
  });
  const files = new FileService({
    store,
    accessLayer,
    proxies,
    maxFileBytes: config.limits.fileBytes,
    stagingMaxAgeMs: config.limits.stagingMaxAgeMs,
    log: { info: (o, m) => app.log.info(o, m), warn: (o, m) => app.log.warn(o, m) },
  });
  accessLayer.useHooks(files.hooks());
  accessLayer.useEnvironment(new GatewayEnvironment({ ledger, org: config.org }));
  const login = new LoginService({
    accessLayer,
    ledger,
    org: config.org,
    log: { info: (o, m) => app.log.info(o, m) },
  });
  files.startSweeps();
  const log = await EventLog.open(config.events.dir, { retain: config.events.retain });
  const events = new EventStreams(log, {
    streamsPerApp: config.events.streamsPerApp,
    heartbeatMs: config.events.heartbeatMs,
  });
  const checkpointer = await DurableCheckpointer.open(join(config.events.dir, 'checkpoint.json'));
  const adminToken = config.adminTokenFile ? readFileSync(config.adminTokenFile, 'utf8').trim() : undefined;
  // A gateway that is its own org admin (embedded) registers its K3s; on Fabric that is an org admin's act.
  const orgAdmin = ledger.orgAdmin();
  // The reconciler logs through the app's logger, which exists once the app is built below.
  const reconciler = new K3Reconciler(
    accessLayer,
    ledger,
    config.org,
    { info: (o, m) => app.log.info(o, m), warn: (o, m) => app.log.warn(o, m), error: (o, m) => app.log.error(o, m) },
    orgAdmin
      ? {
          register: async (k) => {
            await orgAdmin.registerAccessKey(k);
          },
        }
      : {},
  );
  const reconcileKeys = async (): Promise<boolean> => {
    try {
      await reconciler.run();
      return true;
    } catch (error) {
      app.log.warn({ err: error }, 'cannot compare the K3s with the ledger now; will retry');
      return false;
    }
  };
  const app = await buildGateway(
    {
      org: config.org,
      accessLayer,
      ledger,
      events,
      metrics: new GatewayMetrics(),
      files: { service: files, proxies },
      login,
      requestsPerMinutePerApp: config.limits.requestsPerMinutePerApp,
      sessionOpensPerMinutePerAddress: config.limits.sessionOpensPerMinutePerAddress,
      onAccessKeysChanged: async () => {
        await reconcileKeys();
      },
      ...(adminToken ? { adminToken } : {}),
    },
    {
      bodyLimit: config.limits.bodyBytes,
      trustedProxies: config.trustedProxies,
      logLevel: config.logLevel,
      requestTimeoutMs: config.limits.requestTimeoutMs,
      transfer: {
        idleTimeoutMs: config.limits.fileIdleTimeoutMs,
        minBytesPerSecond: config.limits.fileMinBytesPerSecond,
      },
      ...(config.tls
        ? { https: { cert: readFileSync(config.tls.certFile), key: readFileSync(config.tls.keyFile) } }
        : {}),
    },
  );
  const follower = new EventFollower({
    source: (options) => ledger.chaincodeEvents(options),
    log,
    checkpointer,
    logger: app.log,
  });
  follower.start();
  // Like its K3s: a gateway that is its own org admin (embedded) registers the proxies it hosts;
  // on Fabric an org admin does (scripts/admin/register-proxy.sh) and the gateway reports.
  await checkHostedProxies({
    hosted: proxies.hosted,
    ledger,
    org: config.org,
    log: app.log,
    ...(orgAdmin ? { register: (key) => orgAdmin.registerProxy(key.publicKey) } : {}),
  });
  return {
    app,
    accessLayer,
    ledger,
    follower,
    events,
    store,
    proxies,
    reloadKeys() {
      accessLayer.replaceKeys(KeyRing.load(config.keysFile));
    },
    reconcileKeys,
    async close() {
      await app.close();
      await files.close();
      await follower.stop();
      await log.close();
      await ledger.close();
      await store.close();
    },
  };
}
