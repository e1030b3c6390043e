// SPDX-License-Identifier: Apache-2.0
import '../logging/quiet-fabric-logs';
import { loadConfig } from '../config/config';
import { listeningUrl, serve } from '../server';
import { ensureDevLayout } from './first-run';

/**
 * `npm start`: the embedded runtime on a bare machine. Creates development keys and a TLS
 * certificate on first run (in MEDSHARE_DATA_DIR, default ./.data), or uses MEDSHARE_CONFIG;
 * then serves through the production entry's code (server.ts). Production never imports this.
 */
async function main(): Promise<void> {
  const explicit = process.env.MEDSHARE_CONFIG || undefined;
  const layout = explicit
    ? undefined
    : ensureDevLayout(
        process.env.MEDSHARE_DATA_DIR ?? '.data',
        process.env.MEDSHARE_PORT ? Number(process.env.MEDSHARE_PORT) : undefined,
      );
  const config = loadConfig(explicit ?? (layout as { gatewayConfig: string }).gatewayConfig);
  const gateway = await serve(config);
  const url = listeningUrl(config, gateway);
  const lines = [
    '',
    `medshare gateway (${config.ledger.type} ledger, ${config.org}) listening on ${url}`,
    layout?.created ? `created development keys and a self-signed certificate in ${layout.dataDir}` : '',
    layout ? `app config for the CLI: ${layout.appConfig}` : '',
    '',
    'next:',
    '  npm run demo                     # the scripted scenario, through the CLI',
    '  npm run demo:files               # a 200 MB file shared 2-of-3, through the CLI',
    '  npm run demo:research            # studies, warrants, an anonymous contribution, k-anonymity',
    '  npm run demo:indicators          # daily indicators: zero-knowledge keyword match, encrypted readings',
    '  npx medshare keygen --out patient.key.json',
    '  npx medshare --help',
    `  curl --cacert ${layout ? `${layout.dataDir}/gateway/tls/cert.pem` : '<ca>'} ${url}/openapi.json`,
    '',
  ];
  process.stdout.write(`${lines.filter((l, i, a) => l !== '' || a[i - 1] !== '').join('\n')}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`medshare gateway failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
