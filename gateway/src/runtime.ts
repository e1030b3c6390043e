import { readFileSync, watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { GatewayConfig } from './config/config';
import { DurableCheckpointer } from './events/checkpointer';
import { EventLog } from './events/event-log';
import { EventStreams } from './events/event-streams';
import { EventFollower } from './events/follower';
import { KeyRing } from './keys/key-ring';
import type { LedgerBackend } from './ledger/backend';
import { EmbeddedBackend } from './ledger/embedded';
import { FabricBackend } from './ledger/fabric';
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
  close(): Promise<void>;
}

export async function openLedger(config: GatewayConfig): Promise<LedgerBackend> {
  return config.ledger.type === 'embedded' ? EmbeddedBackend.open(config.ledger, config.org) : FabricBackend.connect(config.ledger, config.org);
}

/** Wires config → keys, ledger, access layer and the Fastify app (not yet listening). */
export async function createGateway(config: GatewayConfig, given?: LedgerBackend): Promise<Gateway> {
  const ledger = given ?? (await openLedger(config));
  const accessLayer = new AccessLayer(KeyRing.load(config.keysFile), ledger, {
    sessionTtlMs: config.limits.sessionTtlMs,
    sessionsPerApp: config.limits.sessionsPerApp,
    replayCacheSize: config.limits.replayCacheSize,
  });
  const log = await EventLog.open(config.events.dir, { retain: config.events.retain });
  const events = new EventStreams(log, { streamsPerApp: config.events.streamsPerApp, heartbeatMs: config.events.heartbeatMs });
  const checkpointer = await DurableCheckpointer.open(join(config.events.dir, 'checkpoint.json'));
  const adminToken = config.adminTokenFile ? readFileSync(config.adminTokenFile, 'utf8').trim() : undefined;
  const app = await buildGateway(
    {
      org: config.org,
      accessLayer,
      ledger,
      events,
      metrics: new GatewayMetrics(),
      requestsPerMinutePerApp: config.limits.requestsPerMinutePerApp,
      ...(adminToken ? { adminToken } : {}),
    },
    {
      bodyLimit: config.limits.bodyBytes,
      trustedProxies: config.trustedProxies,
      logLevel: config.logLevel,
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
  await gateway.app.listen({ host: config.listen.host, port: config.listen.port });
  const log = gateway.app.log;
  const reload = (why: string): void => {
    try {
      gateway.reloadKeys();
      log.info({ why }, 'keys reloaded');
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
    process.off('SIGHUP', onHup);
    const force = setTimeout(() => process.exit(1), 30_000);
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
