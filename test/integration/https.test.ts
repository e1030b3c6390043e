// SPDX-License-Identifier: Apache-2.0
import { utf8 } from '@medshare/crypto/bytes';
import { generateKeyPair } from '@medshare/crypto/sm2';
import { request } from 'node:https';
import { readFileSync } from 'node:fs';
import { MedshareClient, loadAppConfig } from '@medshare/app';
import { keyIdOf } from '@medshare/protocol';
import { gatewayForSuite, type GatewayProcess } from './support/gateway-process';

/**
 * Posts `body`; with `declaredLength` the request announces that many bytes but sends only
 * `body`, so a server that refuses on the announced size answers before the client writes more
 * (a large write racing the server's early close would make the test flaky).
 */
function raw(
  gw: GatewayProcess,
  ca: Buffer,
  path: string,
  body: string,
  declaredLength?: number,
): Promise<{ status: number; json: { code?: string } }> {
  return new Promise((done, fail) => {
    const headers = {
      'content-type': 'application/json',
      ...(declaredLength ? { 'content-length': String(declaredLength) } : {}),
    };
    const req = request({ host: '127.0.0.1', port: gw.port, path, method: 'POST', ca, headers }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => {
        req.destroy();
        done({ status: res.statusCode ?? 0, json: JSON.parse(text) as { code?: string } });
      });
    });
    req.on('error', fail);
    if (declaredLength) req.write(body);
    else req.end(body);
  });
}

describe('the gateway over real HTTPS sockets', () => {
  const gateway = gatewayForSuite();
  const ca = (): Buffer => readFileSync(`${gateway().dataDir}/gateway/tls/cert.pem`);

  it('serves the SDK: register, upload, view', async () => {
    const gw = gateway();
    const client = new MedshareClient(loadAppConfig(gw.appConfig).client);
    try {
      const patient = generateKeyPair();
      await client.register(patient, 'patient');
      const { recordId } = await client.upload(patient, { content: utf8('{"bp":"120/80"}'), kind: 'vital-signs' });
      const seen = await client.view(patient, recordId);
      expect(Buffer.from(seen.content).toString()).toBe('{"bp":"120/80"}');
      expect((await client.listRecords(patient)).items).toHaveLength(1);
      expect((await client.directory(keyIdOf(patient.publicKey))).role).toBe('patient');
    } finally {
      client.close();
    }
  });

  it('refuses an app calling from 127.0.0.2 when only 127.0.0.1 is allowed (the socket is bound to 127.0.0.2)', async () => {
    const gw = gateway();
    const client = new MedshareClient({ ...loadAppConfig(gw.appConfig).client, localAddress: '127.0.0.2' });
    try {
      await expect(client.register(generateKeyPair(), 'patient')).rejects.toMatchObject({ code: 'SOURCE_NOT_ALLOWED' });
    } finally {
      client.close();
    }
  });

  it('answers malformed JSON, oversized bodies and unknown routes with coded errors', async () => {
    const gw = gateway();
    expect(await raw(gw, ca(), '/v1/sessions', '{"appId":')).toEqual({
      status: 400,
      json: { code: 'INVALID_INPUT', message: 'request body is not valid JSON' },
    });
    // A session open takes a few KiB: 2 MB is refused on its Content-Length.
    const big = await raw(gw, ca(), '/v1/sessions', '{"appId":"', 2_000_000);
    expect(big).toMatchObject({ status: 413, json: { code: 'PAYLOAD_TOO_LARGE' } });
    // A sealed request without a session header is refused before its body is read.
    expect(await raw(gw, ca(), '/v1/requests', '{"sessionId":"', 2_000_000)).toMatchObject({
      status: 400,
      json: { code: 'INVALID_INPUT' },
    });
    expect(await raw(gw, ca(), '/v1/nothing', '{}')).toMatchObject({ status: 404, json: { code: 'ROUTE_NOT_FOUND' } });
  });
});
