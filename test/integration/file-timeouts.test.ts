// SPDX-License-Identifier: Apache-2.0
import { generateKeyPair } from '@medshare/crypto/sm2';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { MedshareClient, httpsTransport, loadAppConfig } from '@medshare/app';
import { removeData, startGateway, type GatewayProcess } from './support/gateway-process';

const REQUEST_TIMEOUT_MS = 1500;
const FILE_IDLE_TIMEOUT_MS = 1500;

/** `count` pieces of `bytes` random bytes, one every `everyMs`, then (if `stallAfter`) nothing more, ever. */
function trickle(count: number, bytes: number, everyMs: number, stallAfter?: number): Readable {
  let sent = 0;
  return new Readable({
    read() {
      if (sent === stallAfter) return;
      if (sent === count) {
        this.push(null);
        return;
      }
      sent += 1;
      setTimeout(() => this.push(randomBytes(bytes)), sent === 1 ? 0 : everyMs);
    },
  });
}

const staged = (gw: GatewayProcess): string[] => {
  const dir = join(gw.dataDir, 'blobs', 'staging');
  return existsSync(dir) ? readdirSync(dir) : [];
};

describe('file transfers are bounded by progress, every other request by the request timeout', () => {
  let gw: GatewayProcess;
  let client: MedshareClient;
  let plain: ReturnType<typeof httpsTransport>;
  let ca: string | Buffer | undefined;
  const patient = generateKeyPair();

  beforeAll(async () => {
    // A development layout, then the same gateway again with short limits.
    const first = await startGateway();
    await first.stop();
    const configFile = join(first.dataDir, 'gateway', 'config.json');
    const config = JSON.parse(readFileSync(configFile, 'utf8')) as Record<string, unknown>;
    config.limits = {
      requestTimeoutMs: REQUEST_TIMEOUT_MS,
      fileIdleTimeoutMs: FILE_IDLE_TIMEOUT_MS,
      fileMinBytesPerSecond: 50_000,
    };
    writeFileSync(configFile, JSON.stringify(config));
    gw = await startGateway({ dataDir: first.dataDir, port: first.port });
    const app = loadAppConfig(gw.appConfig);
    ca = app.client.ca;
    client = new MedshareClient(app.client);
    plain = httpsTransport({ baseUrl: app.client.gatewayUrl, ...(ca ? { ca } : {}) });
    await client.register(patient, 'patient');
  }, 90_000);

  afterAll(async () => {
    plain.close();
    client.close();
    await gw.stop();
    removeData(gw.dataDir);
  });

  it('a slow upload that keeps progressing is staged after well past the request timeout', async () => {
    const size = 20 * 10_000;
    const grant = await client.beginFileUpload(patient, size, 65_536);
    const started = Date.now();
    const answer = await plain.upload!(`/v1/files/uploads/${grant.uploadId}`, trickle(20, 10_000, 200), size, {
      authorization: `Bearer ${grant.uploadToken}`,
    });
    expect(Date.now() - started).toBeGreaterThan(2 * REQUEST_TIMEOUT_MS);
    expect(answer).toMatchObject({ size, chunks: 4 });
    expect(staged(gw)).toContain(`${grant.uploadId}~`);
  }, 30_000);

  it('an upload that stops sending is cut with INVALID_INPUT after the idle timeout, and nothing is staged', async () => {
    const size = 200_000;
    const grant = await client.beginFileUpload(patient, size, 65_536);
    const started = Date.now();
    await expect(
      plain.upload!(`/v1/files/uploads/${grant.uploadId}`, trickle(20, 10_000, 100, 3), size, {
        authorization: `Bearer ${grant.uploadToken}`,
      }),
    ).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('no byte of the upload') });
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(FILE_IDLE_TIMEOUT_MS);
    expect(staged(gw)).not.toContain(`${grant.uploadId}~`);
    // the gateway's temporary files of puts in progress are gone too
    expect(readdirSync(join(gw.dataDir, 'blobs', '.tmp'))).toEqual([]);
  }, 30_000);

  it('any other request still has the request timeout to arrive, however steadily it trickles', async () => {
    const url = new URL('/v1/sessions', loadAppConfig(gw.appConfig).client.gatewayUrl);
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(
        url,
        {
          method: 'POST',
          ...(ca ? { ca } : {}),
          headers: { 'content-type': 'application/json', 'content-length': 4000 },
        },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (body += c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on('error', reject);
      req.write('{"a":"');
      const timer = setInterval(() => req.write('x'.repeat(10)), 200);
      req.on('close', () => clearInterval(timer));
    });
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body)).toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringContaining('not received within'),
    });
  }, 30_000);
});
