// SPDX-License-Identifier: Apache-2.0
import { generateKeyPair } from '@medshare/crypto/sm2';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MedshareClient, loadAppConfig } from '@medshare/app';
import { gatewayForSuite } from './support/gateway-process';

interface KeysFile {
  apps: Array<{
    appId: string;
    allow: string[];
    keys: Array<{ publicKey: string; notBefore: number; notAfter: number }>;
  }>;
}

async function eventually(check: () => Promise<void>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      await check();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

describe('K2 rotation in a running gateway (keys file reloaded on change, no restart)', () => {
  const gateway = gatewayForSuite();

  it('a new app key works once added; the old one is refused once removed', async () => {
    const gw = gateway();
    const keysPath = join(gw.dataDir, 'gateway', 'keys.json');
    const base = loadAppConfig(gw.appConfig).client;
    const oldKey = base.appKey;
    const newKey = generateKeyPair();
    const user = generateKeyPair();
    const withKey = (appKey: typeof oldKey): MedshareClient => new MedshareClient({ ...base, appKey });

    const before = withKey(newKey);
    await expect(before.register(user, 'patient')).rejects.toMatchObject({ code: 'APP_KEY_NOT_VALID' });
    before.close();

    const keys = JSON.parse(readFileSync(keysPath, 'utf8')) as KeysFile;
    const app = keys.apps[0];
    if (!app) throw new Error('no app in keys file');
    const window = { notBefore: Date.now() - 1000, notAfter: Date.now() + 86_400_000 };
    app.keys.push({ publicKey: newKey.publicKey, ...window });
    writeFileSync(keysPath, JSON.stringify(keys));
    await eventually(async () => {
      const c = withKey(newKey);
      try {
        await c.register(user, 'patient');
      } finally {
        c.close();
      }
    });

    app.keys = app.keys.filter((k) => k.publicKey !== oldKey.publicKey);
    writeFileSync(keysPath, JSON.stringify(keys));
    await eventually(async () => {
      const c = withKey(oldKey);
      try {
        await expect(c.listRecords(user)).rejects.toMatchObject({ code: 'APP_KEY_NOT_VALID' });
      } finally {
        c.close();
      }
    });
    const current = withKey(newKey);
    expect((await current.listRecords(user)).items).toEqual([]);
    current.close();
  }, 60_000);
});
