// SPDX-License-Identifier: Apache-2.0
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { httpsTransport, type Transport } from './transport';

/** A self-signed P-256 certificate for 127.0.0.1, made with the openssl CLI as `npm start` makes one. */
function selfSigned(): { cert: Buffer; key: Buffer } {
  const dir = mkdtempSync(join(tmpdir(), 'medshare-tls-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=transport-test',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    return { cert: readFileSync(join(dir, 'cert.pem')), key: readFileSync(join(dir, 'key.pem')) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A keep-alive HTTPS server on 127.0.0.1 that closes a connection the way a server ending an
 * idle keep-alive socket does when a request arrives on it at that moment: the socket is
 * destroyed, no byte of an answer is written. `closes(n, onSocket)` decides per request.
 */
async function closingServer(
  tls: { cert: Buffer; key: Buffer },
  closes: (n: number, onSocket: number) => boolean,
): Promise<{ server: Server; url: string; requests: () => number; sockets: () => number }> {
  let total = 0;
  const perSocket = new WeakMap<Socket, number>();
  let sockets = 0;
  const server = createServer({ ...tls, keepAliveTimeout: 60_000 }, (req, res) => {
    total += 1;
    const onSocket = (perSocket.get(req.socket) ?? 0) + 1;
    perSocket.set(req.socket, onSocket);
    req.resume();
    req.on('end', () => {
      if (closes(total, onSocket)) {
        req.socket.destroy();
        return;
      }
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ n: total }));
    });
  });
  server.on('secureConnection', () => (sockets += 1));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, url: `https://127.0.0.1:${port}`, requests: () => total, sockets: () => sockets };
}

describe('httpsTransport over keep-alive sockets', () => {
  const tls = selfSigned();
  let server: Server | undefined;
  let transport: Transport | undefined;
  afterEach(async () => {
    transport?.close();
    if (server) {
      server.closeAllConnections();
      await new Promise((resolve) => server?.close(resolve));
    }
  });

  it('a reused socket the server closes before answering is retried once, on a new socket', async () => {
    const s = await closingServer(tls, (_n, onSocket) => onSocket === 2);
    server = s.server;
    transport = httpsTransport({ baseUrl: s.url, ca: tls.cert });
    await expect(transport.post('/v1/requests', { a: 1 })).resolves.toEqual({ n: 1 });
    // The second request goes out on the pooled socket, which the server closes: the SDK sends it again.
    await expect(transport.post('/v1/requests', { a: 2 })).resolves.toEqual({ n: 3 });
    expect(s.requests()).toBe(3);
    expect(s.sockets()).toBe(2);
  });

  it('retries exactly once: a second failure is reported', async () => {
    const s = await closingServer(tls, (n) => n > 1);
    server = s.server;
    transport = httpsTransport({ baseUrl: s.url, ca: tls.cert });
    await transport.post('/v1/requests', {});
    await expect(transport.post('/v1/requests', {})).rejects.toMatchObject({
      name: 'MedshareError',
      code: 'OUTCOME_UNKNOWN',
      message: expect.stringMatching(/cannot reach the gateway/),
    });
    expect(s.requests()).toBe(3);
  });

  it('a sent POST whose retry cannot even connect is still OUTCOME_UNKNOWN (the gateway died after reading it), never LEDGER_UNAVAILABLE', async () => {
    const box: { server?: Server } = {};
    const s = await closingServer(tls, (n) => {
      if (n === 2) box.server?.close(); // the "gateway" reads the request, dies, and is gone when the retry comes
      return n === 2;
    });
    server = box.server = s.server;
    transport = httpsTransport({ baseUrl: s.url, ca: tls.cert });
    await transport.post('/v1/requests', {});
    await expect(transport.post('/v1/requests', {})).rejects.toMatchObject({
      name: 'MedshareError',
      code: 'OUTCOME_UNKNOWN',
    });
    expect(s.requests()).toBe(2);
  });

  it('a new socket that fails is not retried: a sent POST has an unknown outcome, a GET wrote nothing', async () => {
    const s = await closingServer(tls, () => true);
    server = s.server;
    transport = httpsTransport({ baseUrl: s.url, ca: tls.cert });
    await expect(transport.post('/v1/requests', {})).rejects.toMatchObject({ code: 'OUTCOME_UNKNOWN' });
    expect(s.requests()).toBe(1);
    await expect(transport.get('/v1/keys')).rejects.toMatchObject({
      code: 'LEDGER_UNAVAILABLE',
      message: expect.stringMatching(/cannot reach the gateway/),
    });
    expect(s.requests()).toBe(2);
  });

  it('a gateway that is not listening is LEDGER_UNAVAILABLE: nothing was sent', async () => {
    const s = await closingServer(tls, () => false);
    const { url } = s;
    await new Promise((resolve) => s.server.close(resolve));
    transport = httpsTransport({ baseUrl: url, ca: tls.cert });
    await expect(transport.post('/v1/requests', {})).rejects.toMatchObject({
      code: 'LEDGER_UNAVAILABLE',
      message: expect.stringMatching(/ECONNREFUSED/),
    });
  });

  it('the pool closes a socket left idle for its idle timeout (the server would keep it for 60 s)', async () => {
    const s = await closingServer(tls, () => false);
    server = s.server;
    const closed = new Promise<void>((resolve) =>
      s.server.on('secureConnection', (socket: Socket) => socket.on('close', () => resolve())),
    );
    transport = httpsTransport({ baseUrl: s.url, ca: tls.cert, idleSocketTimeoutMs: 50 });
    await transport.get('/v1/keys');
    // Waits for the event, not for a time: without the idle timeout this never resolves.
    await closed;
    expect(s.requests()).toBe(1);
  });

  it('error bodies become coded errors, with the transaction id when there is one', async () => {
    const tx = 'ef'.repeat(32);
    server = createServer({ ...tls }, (_req, res) => {
      res.statusCode = 504;
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({
          code: 'OUTCOME_UNKNOWN',
          message: 'the peer did not report the commit status before the deadline',
          txId: tx,
        }),
      );
    });
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    transport = httpsTransport({
      baseUrl: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
      ca: tls.cert,
    });
    await expect(transport.post('/v1/requests', {})).rejects.toMatchObject({
      code: 'OUTCOME_UNKNOWN',
      context: { txId: tx },
    });
  });
});
