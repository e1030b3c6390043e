// SPDX-License-Identifier: Apache-2.0
import { generateKeyPair, privateKeyToPem } from '@medshare/crypto/sm2';
import '../logging/quiet-fabric-logs';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildGateway } from '../app';
import { EventLog } from '../events/event-log';
import { EventStreams } from '../events/event-streams';
import { KeyRing } from '../keys/key-ring';
import type { LedgerBackend } from '../ledger/backend';
import { AccessLayer } from '../pipeline/access-layer';
import { FileService } from '../files/file-service';
import { ProxyPool } from '../proxy/proxy-pool';
import { EmbeddedBlobStore } from '../storage/embedded-blob-store';
import { LoginService } from '../access/login';

/** The OpenAPI document the gateway serves at /openapi.json, built from its route schemas. */
export async function openApiDocument(): Promise<unknown> {
  const dir = mkdtempSync(join(tmpdir(), 'medshare-openapi-'));
  try {
    const k3 = generateKeyPair();
    writeFileSync(join(dir, 'k3.pem'), privateKeyToPem(k3.privateKey), { mode: 0o600 });
    const keys = KeyRing.parse({ apps: [], k3: [{ keyFile: 'k3.pem', notBefore: 0, notAfter: 1 }], k4: [] }, dir);
    const ledger: LedgerBackend = {
      kind: 'embedded',
      run: () => Promise.reject(new Error('not used')),
      getUser: () => Promise.reject(new Error('not used')),
      listAccessKeys: () => Promise.reject(new Error('not used')),
      listProxies: () => Promise.reject(new Error('not used')),
      getShareForProxy: () => Promise.reject(new Error('not used')),
      getAppPolicy: () => Promise.reject(new Error('not used')),
      chaincodeEvents: () => Promise.reject(new Error('not used')),
      ready: () => Promise.resolve(),
      close: () => Promise.resolve(),
      orgAdmin: () => undefined,
    };
    const log = await EventLog.open(join(dir, 'events'), { retain: 1 });
    const accessLayer = new AccessLayer(keys, ledger, { sessionTtlMs: 1000, sessionsPerApp: 1, replayCacheSize: 1 });
    const proxies = new ProxyPool({ hosted: [], peers: [], ledger, org: 'Org1MSP', signer: () => keys.signingK3(1) });
    const store = new EmbeddedBlobStore({ dir: join(dir, 'blobs') });
    const app = await buildGateway(
      {
        files: {
          service: new FileService({ store, accessLayer, proxies, maxFileBytes: 2 * 1024 ** 3 }),
          proxies,
        },
        org: 'Org1MSP',
        login: new LoginService({ accessLayer, ledger, org: 'Org1MSP' }),
        events: new EventStreams(log, { streamsPerApp: 1, heartbeatMs: 15_000 }),
        accessLayer,
        ledger,
        requestsPerMinutePerApp: 1,
      },
      { bodyLimit: 1024, trustedProxies: [], logLevel: 'silent' },
    );
    try {
      return app.swagger();
    } finally {
      await app.close();
      await log.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `npm run openapi`: writes docs/openapi.json. */
if (require.main === module) {
  void openApiDocument().then((doc) => {
    writeFileSync(process.argv[2] ?? 'docs/openapi.json', `${JSON.stringify(doc, null, 2)}\n`);
  });
}
