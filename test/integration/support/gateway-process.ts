// SPDX-License-Identifier: Apache-2.0
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(__dirname, '..', '..', '..');

export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

export interface GatewayProcess {
  readonly dataDir: string;
  readonly port: number;
  readonly appConfig: string;
  readonly child: ChildProcess;
  readonly output: () => string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** The gateway's entry points: `npm start`'s (development first run) and the production one. */
export const ENTRIES = {
  dev: join(ROOT, 'gateway', 'dist', 'dev', 'start.js'),
  server: join(ROOT, 'gateway', 'dist', 'server.js'),
} as const;

/**
 * Starts an entry point as a real process on a free loopback port: by default `npm start`'s
 * (embedded runtime, development layout in `dataDir`); `env` is added last.
 */
export async function startGateway(
  options: { dataDir?: string; port?: number; entry?: keyof typeof ENTRIES; env?: NodeJS.ProcessEnv } = {},
): Promise<GatewayProcess> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'medshare-it-'));
  const port = options.port ?? (await freePort());
  const child = spawn(process.execPath, [ENTRIES[options.entry ?? 'dev']], {
    cwd: ROOT,
    env: {
      ...process.env,
      MEDSHARE_DATA_DIR: dataDir,
      MEDSHARE_PORT: String(port),
      MEDSHARE_LOG_LEVEL: 'warn',
      MEDSHARE_CONFIG: '',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  await new Promise<void>((ready, fail) => {
    const timer = setTimeout(() => fail(new Error(`gateway did not start:\n${out}`)), 30_000);
    const check = (): void => {
      if (out.includes('listening on')) {
        clearTimeout(timer);
        ready();
      }
    };
    child.stdout.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      fail(new Error(`gateway exited ${String(code)}:\n${out}`));
    });
  }).catch((error: unknown) => {
    child.kill('SIGKILL');
    throw error;
  });
  return {
    dataDir,
    port,
    appConfig: join(dataDir, 'app', 'app.json'),
    child,
    output: () => out,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill(signal);
      return exited;
    },
  };
}

export function removeData(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** One gateway process for a describe block: started before its tests, stopped and removed after. */
export function gatewayForSuite(): () => GatewayProcess {
  let gw: GatewayProcess | undefined;
  beforeAll(async () => {
    gw = await startGateway();
  }, 60_000);
  afterAll(async () => {
    if (!gw) return;
    await gw.stop();
    removeData(gw.dataDir);
  });
  return () => {
    if (!gw) throw new Error('the suite gateway did not start');
    return gw;
  };
}
