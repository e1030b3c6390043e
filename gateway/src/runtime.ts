import { readFileSync, watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { GatewayConfig } from './config/config';
import { K3Reconciler } from './keys/k3-reconciler';
import { DurableCheckpointer } from './events/checkpointer';
import { EventLog } from './events/event-log';
import { EventStreams } from './events/event-streams';
import { EventFollower } from './events/follower';
import { KeyRing } from './keys/key-ring';
import type { LedgerBackend } from './ledger/backend';
import { EmbeddedBackend } from './ledger/embedded';
import { FabricBackend } from './ledger/fabric';
import type { PeerChangeLog } from './ledger/peer-order';
import { GatewayMetrics } from './metrics/metrics';
import { AccessLayer } from './pipeline/access-layer';
import { buildGateway } from './app';

export interface Gateway {
  readonly app: FastifyInstance;
  readonly accessLayer: AccessLayer;
  readonly ledger: LedgerBackend;
  /** Follows the contract's events into the event log (started by createGateway). */
  readonly follower: EventFollower;
  readonly events: EventStreams;
  /** Re-reads the keys file; on error keeps the current keys and rethrows. */
  reloadKeys(): void;
  /** Compares the K3s with the ledger (registering them on the embedded ledger); logs, never throws. */
  reconcileKeys(): Promise<boolean>;
  close(): Promise<void>;
}

/** How often a running gateway re-reads its org's K3 entries from the ledger. */
const K3_RECONCILE_MS = 60_000;

/** `log` hears the Fabric backend's changes of peer (ledger/peer-order.ts). */
export async function openLedger(config: GatewayConfig, log?: PeerChangeLog): Promise<LedgerBackend> {
  return config.ledger.type === 'embedded' ? EmbeddedBackend.open(config.ledger, config.org) : FabricBackend.connect(config.ledger, config.org, log);
}

/** Wires config → keys, ledger, access layer and the Fastify app (not yet listening). */
export async function createGateway(config: GatewayConfig, given?: LedgerBackend): Promise<Gateway> {
  // Like the reconciler's, the ledger's log goes to the app's logger, built below.
  const ledger = given ?? (await openLedger(config, { info: (o, m) => app.log.info(o, m), warn: (o, m) => app.log.warn(o, m) }));
  const accessLayer = new AccessLayer(KeyRing.load(config.keysFile), ledger, {
    sessionTtlMs: config.limits.sessionTtlMs,
    sessionsPerApp: config.limits.sessionsPerApp,
    replayCacheSize: config.limits.replayCacheSize,
    unauthenticatedCpuMsPerSecond: config.limits.unauthenticatedCpuMsPerSecond,
  });
  const log = await EventLog.open(config.events.dir, { retain: config.events.retain });
  const events = new EventStreams(log, { streamsPerApp: config.events.streamsPerApp, heartbeatMs: config.events.heartbeatMs });
  const checkpointer = await DurableCheckpointer.open(join(config.events.dir, 'checkpoint.json'));
  const adminToken = config.adminTokenFile ? readFileSync(config.adminTokenFile, 'utf8').trim() : undefined;
  // The reconciler logs through the app's logger, which exists once the app is built below.
  const reconciler = new K3Reconciler(
    accessLayer,
    ledger,
    config.org,
    { info: (o, m) => app.log.info(o, m), warn: (o, m) => app.log.warn(o, m), error: (o, m) => app.log.error(o, m) },
    ledger instanceof EmbeddedBackend
      ? {
          register: async (k) => {
            await ledger.submitAsAdmin('layer-keys:RegisterAccessKey', [k.publicKey, String(k.notBefore), String(k.notAfter)]);
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
      ...(config.tls ? { https: { cert: readFileSync(config.tls.certFile), key: readFileSync(config.tls.keyFile) } } : {}),
    },
  );
  const follower = new EventFollower({ source: (options) => ledger.chaincodeEvents(options), log, checkpointer, logger: app.log });
  follower.start();
  return {
    app,
    accessLayer,
    ledger,
    follower,
    events,
    reloadKeys() {
      accessLayer.replaceKeys(KeyRing.load(config.keysFile));
    },
    reconcileKeys,
    async close() {
      await app.close();
      await follower.stop();
      await log.close();
      await ledger.close();
    },
  };
}

/**
 * Listens, and wires the process: SIGHUP or a change of the keys file reloads keys (rotation
 * without restart); SIGTERM/SIGINT stop accepting, finish in-flight requests, close the ledger.
 */
export async function serve(config: GatewayConfig, onStop?: () => void): Promise<Gateway> {
  const gateway = await createGateway(config);
  // Before listening, so the embedded runtime's K3s are registered before the first request;
  // a ledger that cannot answer yet is retried, never a reason not to start.
  let reconciled = await gateway.reconcileKeys();
  await gateway.app.listen({ host: config.listen.host, port: config.listen.port });
  const log = gateway.app.log;
  // Keys retired on the ledger by an org admin (scripts/admin on Fabric) are noticed here.
  const resync = setInterval(() => {
    void gateway.reconcileKeys().then((ok) => (reconciled = ok));
  }, K3_RECONCILE_MS);
  resync.unref();
  if (!reconciled) {
    const retry = setTimeout(() => void gateway.reconcileKeys(), 5_000);
    retry.unref();
  }
  const reload = (why: string): void => {
    try {
      gateway.reloadKeys();
      log.info({ why }, 'keys reloaded');
      void gateway.reconcileKeys();
    } catch (error) {
      log.error({ err: error, why }, 'key reload failed; keeping the previous keys');
    }
  };
  let debounce: NodeJS.Timeout | undefined;
  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(config.keysFile, () => {
      clearTimeout(debounce);
      debounce = setTimeout(() => reload('keys file changed'), 200);
    });
  } catch {
    log.warn('cannot watch the keys file; reload with SIGHUP');
  }
  const onHup = (): void => reload('SIGHUP');
  process.on('SIGHUP', onHup);
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down: finishing in-flight requests');
    watcher?.close();
    clearTimeout(debounce);
    clearInterval(resync);
    process.off('SIGHUP', onHup);
    // In-flight requests end within the request timeout (their ledger calls before it).
    const force = setTimeout(() => process.exit(1), config.limits.requestTimeoutMs + 5_000);
    force.unref();
    void gateway.close().then(() => {
      onStop?.();
      process.exit(0);
    });
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  return gateway;
}
