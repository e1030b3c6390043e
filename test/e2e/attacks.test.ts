// SPDX-License-Identifier: Apache-2.0
import { utf8 } from '@medshare/crypto/bytes';
import { generateKeyPair, privateKeyToPem } from '@medshare/crypto/sm2';
/**
 * The gateway issue's attacks and operational traps (issue 10), over the real Fabric network:
 * each refusal has its project code and moves no peer's ledger, and the operations that used to
 * take a gateway down (restarting after its K3 was retired on the ledger) no longer do.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { connect } from 'node:tls';
import { dirname, join } from 'node:path';
import { httpsTransport, type Transport } from '@medshare/app';
import { SESSION_HEADER, keyIdOf } from '@medshare/protocol';
import {
  admin,
  assertNetworkReady,
  chainInfo,
  restartHospital,
  startHospital,
  stopHospital,
  type Hospital,
} from './support/hospital';

assertNetworkReady();

/** The SDK's HTTPS transport, remembering the last sealed request it sent. */
function recorder(client: {
  readonly gatewayUrl: string;
  readonly ca?: string | Buffer;
}): Transport & { last?: unknown } {
  const inner = httpsTransport({ baseUrl: client.gatewayUrl, ...(client.ca ? { ca: client.ca } : {}) });
  const t: Transport & { last?: unknown } = {
    post: (path, body, headers) => {
      if (path === '/v1/requests') t.last = body;
      return inner.post(path, body, headers);
    },
    get: (path) => inner.get(path),
    stream: (path, headers) => inner.stream(path, headers),
    close: () => inner.close(),
  };
  return t;
}

/** One HTTPS exchange with the gateway from a chosen loopback source address. */
function call(
  h: Hospital,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
  localAddress = '127.0.0.1',
): Promise<{ status: number; json: unknown }> {
  const cfg = JSON.parse(readFileSync(h.layout.appConfig, 'utf8')) as { gatewayUrl: string; caFile: string };
  const url = new URL(cfg.gatewayUrl);
  const ca = readFileSync(join(dirname(h.layout.appConfig), cfg.caFile));
  return new Promise((done, fail) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        method,
        path,
        ca,
        localAddress,
        headers: {
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          // a sealed request names its session in the header too (docs/protocol.md §7)
          ...(typeof (body as { sessionId?: unknown } | undefined)?.sessionId === 'string'
            ? { [SESSION_HEADER]: (body as { sessionId: string }).sessionId }
            : {}),
        },
      },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () =>
          done({ status: res.statusCode ?? 0, json: text ? (JSON.parse(text) as unknown) : undefined }),
        );
      },
    );
    req.on('error', fail);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

const heights = async (): Promise<number[]> =>
  Promise.all([chainInfo('org1', 0), chainInfo('org2', 0)]).then((infos) => infos.map((i) => i.height));

describe('attacks and operational traps on the Fabric-backed gateway', () => {
  let h: Hospital | undefined;
  let transport: ReturnType<typeof recorder> | undefined;
  afterAll(() => stopHospital(h), 60_000);

  beforeAll(async () => {
    h = await startHospital('org1', { transport: (c) => (transport = recorder(c)) });
  }, 120_000);

  it('a sealed request sent again verbatim is refused (NONCE_REPLAYED) and no ledger moves', async () => {
    const hospital = h as Hospital;
    await hospital.client.register(generateKeyPair(), 'patient');
    const replay = (transport as ReturnType<typeof recorder>).last;
    const before = await heights();
    expect(await call(hospital, 'POST', '/v1/requests', replay)).toMatchObject({
      status: 409,
      json: { code: 'NONCE_REPLAYED' },
    });
    expect(await heights()).toEqual(before);
  }, 60_000);

  it("a request from an address the app does not allow, with the app's live session, is refused before any cryptography", async () => {
    const hospital = h as Hospital;
    const replay = (transport as ReturnType<typeof recorder>).last;
    expect(await call(hospital, 'POST', '/v1/requests', replay, '127.0.0.2')).toMatchObject({
      status: 403,
      json: { code: 'SOURCE_NOT_ALLOWED' },
    });
  }, 60_000);

  it('the chaincode refuses an upload naming another patient (NOT_OWNER, from the endorsers) and nothing is written', async () => {
    const hospital = h as Hospital;
    const [mallory, victim] = [generateKeyPair(), generateKeyPair()];
    await hospital.client.register(mallory, 'patient');
    const { pseudonym } = await hospital.client.register(victim, 'patient');
    const before = await heights();
    await expect(
      hospital.client.upload(mallory, { content: utf8('{"x":1}'), kind: 'lab-result', patientId: pseudonym }),
    ).rejects.toMatchObject({
      code: 'NOT_OWNER',
    });
    expect(await heights()).toEqual(before);
  }, 60_000);

  it('HTTP-edge refusals speak project codes on the Fabric runtime too', async () => {
    const hospital = h as Hospital;
    expect(await call(hospital, 'GET', '/v1/nothing')).toMatchObject({
      status: 404,
      json: { code: 'ROUTE_NOT_FOUND' },
    });
    expect(await call(hospital, 'GET', `/v1/users/${'a'.repeat(600)}`)).toMatchObject({
      status: 414,
      json: { code: 'URI_TOO_LONG' },
    });
  }, 30_000);

  it("restarting after the org admin retired the gateway's only K3 on the ledger: it starts, says why it cannot sign, and serves again once a new K3 is registered and in its keys file", async () => {
    let hospital = h as Hospital;
    const oldId = keyIdOf(hospital.layout.k3PublicKey);
    expect((await admin('retire-access-key.sh', 'org1', oldId)).code).toBe(0);
    hospital = h = await restartHospital(hospital, { signal: 'SIGKILL', transport: (c) => (transport = recorder(c)) });
    const keys = (await call(hospital, 'GET', '/v1/keys')).json as { k3: Array<{ keyId: string; status?: string }> };
    expect(keys.k3).toEqual([expect.objectContaining({ keyId: oldId, status: 'retired' })]);
    expect(await call(hospital, 'GET', '/readyz')).toMatchObject({
      status: 503,
      json: { code: 'ACCESS_LAYER_NOT_READY' },
    });
    await expect(hospital.client.register(generateKeyPair(), 'patient')).rejects.toMatchObject({
      code: 'ACCESS_KEY_NOT_VALID',
    });

    // the rotation's next step: a new K3, registered by the org admin, added to the keys file and
    // trusted by the app; the gateway reloads the file and re-reads the ledger by itself
    const fresh = generateKeyPair();
    const gwDir = dirname(hospital.layout.gatewayConfig);
    writeFileSync(join(gwDir, 'k3-next.pem'), privateKeyToPem(fresh.privateKey), { mode: 0o600 });
    const window = { notBefore: Date.now() - 1000, notAfter: Date.now() + 86_400_000 };
    expect(
      (
        await admin(
          'register-access-key.sh',
          'org1',
          fresh.publicKey,
          String(window.notBefore),
          String(window.notAfter),
        )
      ).code,
    ).toBe(0);
    const app = JSON.parse(readFileSync(hospital.layout.appConfig, 'utf8')) as { trustedAccessKeys: string[] };
    app.trustedAccessKeys.push(fresh.publicKey);
    writeFileSync(hospital.layout.appConfig, JSON.stringify(app));
    const keysFile = join(gwDir, 'keys.json');
    const file = JSON.parse(readFileSync(keysFile, 'utf8')) as {
      k3: Array<{ keyFile: string; notBefore: number; notAfter: number }>;
    };
    file.k3.push({ keyFile: 'k3-next.pem', ...window });
    writeFileSync(keysFile, JSON.stringify(file));
    // the reload is asynchronous (file watch, then a ledger read): bounded wait for readiness
    const deadline = Date.now() + 15_000;
    while ((await call(hospital, 'GET', '/readyz')).status !== 200 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 250));
    expect((await call(hospital, 'GET', '/readyz')).status).toBe(200);
    hospital = h = await restartHospital(hospital, { transport: (c) => (transport = recorder(c)) }); // the app config changed: a new client
    await expect(hospital.client.register(generateKeyPair(), 'patient')).resolves.toMatchObject({ status: 'active' });
  }, 120_000);
});

// A TLS client that offers no certificate is fine (the gateway does not ask for one); a raw
// socket that sends no HTTP at all is answered and closed, not left hanging.
describe('a raw TLS client that sends garbage', () => {
  let h: Hospital | undefined;
  beforeAll(async () => {
    h = await startHospital('org2');
  }, 120_000);
  afterAll(() => stopHospital(h), 60_000);

  it('gets a JSON 400 and a closed connection', async () => {
    const hospital = h as Hospital;
    const cfg = JSON.parse(readFileSync(hospital.layout.appConfig, 'utf8')) as { gatewayUrl: string; caFile: string };
    const url = new URL(cfg.gatewayUrl);
    const ca = readFileSync(join(dirname(hospital.layout.appConfig), cfg.caFile));
    const answer = await new Promise<string>((done, fail) => {
      const socket = connect({ host: url.hostname, port: Number(url.port), ca, servername: 'localhost' }, () =>
        socket.write('GARBAGE\r\n\r\n'),
      );
      let out = '';
      socket.on('data', (c: Buffer) => (out += c.toString()));
      socket.on('end', () => done(out));
      socket.on('error', fail);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toMatchObject({ code: 'INVALID_INPUT' });
  }, 30_000);
});
