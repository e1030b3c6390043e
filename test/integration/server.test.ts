// SPDX-License-Identifier: Apache-2.0
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { get } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ensureDevLayout } from '../../gateway/src/dev/first-run';
import { ENTRIES, freePort, removeData, startGateway } from './support/gateway-process';

function getJson(port: number, ca: Buffer, path: string): Promise<{ status: number; body: unknown }> {
  return new Promise((done, fail) => {
    get({ host: '127.0.0.1', port, path, ca, agent: false }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => done({ status: res.statusCode ?? 0, body: JSON.parse(text) as unknown }));
    }).on('error', fail);
  });
}

describe('the production entry point (gateway/dist/server.js)', () => {
  it('without MEDSHARE_CONFIG refuses to start, says why, and creates no keys', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'medshare-server-'));
    try {
      const run = promisify(execFile)(process.execPath, [ENTRIES.server], {
        cwd: dir,
        env: { ...process.env, MEDSHARE_CONFIG: '', MEDSHARE_DATA_DIR: dir },
      });
      await expect(run).rejects.toMatchObject({
        code: 1,
        stderr: expect.stringContaining('MEDSHARE_CONFIG is not set') as string,
      });
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      removeData(dir);
    }
  });

  it('with a config serves, and stops cleanly on SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'medshare-server-'));
    const port = await freePort();
    const layout = ensureDevLayout(dir, port);
    const gw = await startGateway({
      entry: 'server',
      dataDir: dir,
      port,
      env: { MEDSHARE_CONFIG: layout.gatewayConfig },
    });
    try {
      expect(gw.output()).toContain(`listening on https://127.0.0.1:${port}`);
      const ca = readFileSync(join(dir, 'gateway', 'tls', 'cert.pem'));
      expect(await getJson(port, ca, '/healthz')).toEqual({ status: 200, body: { status: 'ok' } });
      expect(await getJson(port, ca, '/readyz')).toEqual({
        status: 200,
        body: { status: 'ready', ledger: 'embedded' },
      });
      expect(await gw.stop('SIGTERM')).toBe(0);
    } finally {
      await gw.stop('SIGKILL');
      removeData(dir);
    }
  }, 60_000);
});
