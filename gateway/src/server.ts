// SPDX-License-Identifier: Apache-2.0
import './logging/quiet-fabric-logs';
import { watch, type FSWatcher } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { loadConfig, type GatewayConfig } from './config/config';
import { createGateway, type Gateway } from './runtime';

/** How often a running gateway re-reads its org's K3 entries from the ledger. */
const K3_RECONCILE_MS = 60_000;

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

/** The gateway's address once it listens, e.g. https://127.0.0.1:8443. */
export function listeningUrl(config: GatewayConfig, gateway: Gateway): string {
  const { port } = gateway.app.server.address() as AddressInfo;
  return `${config.tls ? 'https' : 'http'}://${config.listen.host}:${String(port)}`;
}

/**
 * The production entry (`node gateway/dist/server.js`): the config file named by MEDSHARE_CONFIG,
 * checked once, then listen. It never creates keys, certificates or configs; the development
 * first run that does is `npm start` (dev/start.ts), which ends up here too.
 */
export async function main(env: NodeJS.ProcessEnv = process.env): Promise<Gateway> {
  const path = env.MEDSHARE_CONFIG;
  if (!path) {
    throw new Error(
      'MEDSHARE_CONFIG is not set: name the gateway config file (README, "Configuration"); this entry never creates keys. For a development gateway with generated keys run npm start',
    );
  }
  const config = loadConfig(path, env);
  const gateway = await serve(config);
  process.stdout.write(
    `medshare gateway (${config.ledger.type} ledger, ${config.org}) listening on ${listeningUrl(config, gateway)}\n`,
  );
  return gateway;
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(
      `medshare gateway failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exit(1);
  });
}
