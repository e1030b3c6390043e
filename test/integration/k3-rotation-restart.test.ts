// SPDX-License-Identifier: Apache-2.0
import { generateKeyPair, privateKeyToPem } from '@medshare/crypto/sm2';
/**
 * The README's K3 rotation procedure, with the gateway restarted (SIGTERM or kill -9) after
 * every step: it must start each time, reconciling its keys file with the ledger instead of
 * exiting (issue: a retired or re-windowed K3 made every restart exit 1).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { MedshareClient, loadAppConfig } from '@medshare/app';
import { keyIdOf } from '@medshare/protocol';
import { removeData, startGateway, type GatewayProcess } from './support/gateway-process';

interface KeysFile {
  k3: Array<{ keyFile: string; notBefore: number; notAfter: number }>;
}

function call(
  gw: GatewayProcess,
  method: 'GET' | 'POST',
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: unknown }> {
  const ca = readFileSync(join(gw.dataDir, 'gateway', 'tls', 'cert.pem'));
  return new Promise((done, fail) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: gw.port,
        method,
        path,
        ca,
        headers: { ...headers, ...(method === 'POST' ? { 'content-type': 'application/json' } : {}) },
      },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () =>
          done({ status: res.statusCode ?? 0, body: text ? (JSON.parse(text) as unknown) : undefined }),
        );
      },
    );
    req.on('error', fail);
    req.end(method === 'POST' ? '{}' : undefined);
  });
}

/** The gateway's logger writes asynchronously: a line logged before "listening on" may come after it. */
async function logged(gw: GatewayProcess, text: string): Promise<string> {
  const deadline = Date.now() + 5000;
  while (!gw.output().includes(text) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  return gw.output();
}

describe('K3 rotation survives a restart at every step (embedded runtime, real processes)', () => {
  let gw: GatewayProcess | undefined;
  afterAll(async () => {
    if (!gw) return;
    await gw.stop();
    removeData(gw.dataDir);
  });

  it('add, register, retire the old key on the ledger, remove it from the file; an edited window is reported, never fatal', async () => {
    gw = await startGateway();
    const { dataDir, port } = gw;
    const keysPath = join(dataDir, 'gateway', 'keys.json');
    const appPath = join(dataDir, 'app', 'app.json');
    const token = readFileSync(join(dataDir, 'gateway', 'admin-token'), 'utf8').trim();
    const restart = async (signal: NodeJS.Signals): Promise<GatewayProcess> => {
      await (gw as GatewayProcess).stop(signal);
      gw = await startGateway({ dataDir, port });
      return gw;
    };
    const works = async (): Promise<void> => {
      const client = new MedshareClient(loadAppConfig(appPath).client);
      try {
        await expect(client.register(generateKeyPair(), 'patient')).resolves.toMatchObject({ status: 'active' });
      } finally {
        client.close();
      }
    };
    const status = async (): Promise<Record<string, string | undefined>> => {
      const keys = (await call(gw as GatewayProcess, 'GET', '/v1/keys')).body as {
        k3: Array<{ keyId: string; status?: string }>;
      };
      return Object.fromEntries(keys.k3.map((k) => [k.keyId, k.status]));
    };
    await works();
    const keys = JSON.parse(readFileSync(keysPath, 'utf8')) as KeysFile;
    const oldK3 = keys.k3[0] as KeysFile['k3'][number];
    const oldId = keyIdOf(loadAppConfig(appPath).client.trustedAccessKeys[0] as string);

    // 1. a new K3 with an overlapping window in the file and trusted by the app; restart (kill -9)
    const fresh = generateKeyPair();
    const freshId = keyIdOf(fresh.publicKey);
    writeFileSync(join(dataDir, 'gateway', 'k3-new.pem'), privateKeyToPem(fresh.privateKey), { mode: 0o600 });
    keys.k3.push({ keyFile: 'k3-new.pem', notBefore: oldK3.notBefore, notAfter: oldK3.notAfter });
    writeFileSync(keysPath, JSON.stringify(keys));
    const app = JSON.parse(readFileSync(appPath, 'utf8')) as { trustedAccessKeys: string[] };
    app.trustedAccessKeys.push(fresh.publicKey);
    writeFileSync(appPath, JSON.stringify(app));
    await restart('SIGKILL');
    expect(await status()).toEqual({ [oldId]: 'active', [freshId]: 'active' }); // registered at start
    await works();

    // 2. retire the old K3 on the ledger, restart: starts, warns, signs with the new one
    expect(
      (await call(gw, 'POST', `/v1/admin/access-keys/${oldId}/retire`, { authorization: `Bearer ${token}` })).status,
    ).toBe(200);
    await restart('SIGTERM');
    expect(await logged(gw, 'retired on the ledger')).toContain('retired on the ledger');
    expect(await status()).toEqual({ [oldId]: 'retired', [freshId]: 'active' });
    await works();

    // 3. remove the old K3 from the file, restart
    keys.k3 = keys.k3.filter((k) => k !== oldK3);
    writeFileSync(keysPath, JSON.stringify(keys));
    await restart('SIGTERM');
    expect(await status()).toEqual({ [freshId]: 'active' });
    await works();

    // 4. an edited window (the live reload accepts it) then a restart: reported, key not used,
    //    the gateway runs and says it is not ready; restoring the window makes it work again
    const edited = keys.k3[0] as KeysFile['k3'][number];
    edited.notAfter += 1000;
    writeFileSync(keysPath, JSON.stringify(keys));
    await restart('SIGKILL');
    expect(await logged(gw, 'differs from the ledger')).toContain('differs from the ledger');
    expect(await status()).toEqual({ [freshId]: 'window-mismatch' });
    expect(await call(gw, 'GET', '/readyz')).toMatchObject({ status: 503, body: { code: 'ACCESS_LAYER_NOT_READY' } });
    const refused = new MedshareClient(loadAppConfig(appPath).client);
    await expect(refused.register(generateKeyPair(), 'patient')).rejects.toMatchObject({
      code: 'ACCESS_KEY_NOT_VALID',
    });
    refused.close();
    edited.notAfter -= 1000;
    writeFileSync(keysPath, JSON.stringify(keys));
    await restart('SIGTERM');
    expect((await call(gw, 'GET', '/readyz')).status).toBe(200);
    await works();
  }, 120_000);
});
