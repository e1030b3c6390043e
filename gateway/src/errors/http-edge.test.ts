// SPDX-License-Identifier: Apache-2.0
import { connect } from 'node:net';
import { PassThrough } from 'node:stream';
import { GatewayFixture } from '../testing/fixture';

/** One raw HTTP/1.1 exchange over a real socket; resolves with what the server wrote. */
function raw(port: number, text: string): Promise<string> {
  return new Promise((done, fail) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(text));
    let out = '';
    socket.on('data', (c: Buffer) => (out += c.toString()));
    socket.on('close', () => done(out));
    socket.on('error', fail);
  });
}

describe('every error at the HTTP edge carries a project code', () => {
  let f: GatewayFixture;
  let logs: string;
  beforeAll(async () => {
    const stream = new PassThrough();
    logs = '';
    stream.on('data', (c: Buffer) => (logs += c.toString()));
    f = await GatewayFixture.create({ logStream: stream });
    await f.app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(() => f.close());
  const port = (): number => (f.app.server.address() as { port: number }).port;

  it.each([
    ['an unknown route', { method: 'GET' as const, url: '/v1/nothing-here' }, 404, 'ROUTE_NOT_FOUND'],
    ['a known path with another method', { method: 'DELETE' as const, url: '/v1/keys' }, 404, 'ROUTE_NOT_FOUND'],
    ['bad percent-encoding in the URL', { method: 'GET' as const, url: '/v1/users/%E0%A4%A' }, 400, 'INVALID_INPUT'],
    [
      'an over-long path parameter',
      { method: 'GET' as const, url: `/v1/users/${'a'.repeat(600)}` },
      414,
      'URI_TOO_LONG',
    ],
    [
      'a body that is not JSON',
      { method: 'POST' as const, url: '/v1/sessions', headers: { 'content-type': 'application/xml' }, payload: '<a/>' },
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    ],
  ])('%s', async (_name, request, status, code) => {
    const before = `${f.snapshot()}|${String(f.accessLayer.sessions.size)}`;
    const res = await f.app.inject(request);
    expect(`${f.snapshot()}|${String(f.accessLayer.sessions.size)}`).toBe(before);
    expect(res.statusCode).toBe(status);
    expect(res.json()).toEqual({ code, message: expect.any(String) as string });
    expect(res.body).not.toContain('FST_');
  });

  it("Node's parser refusals get a JSON body too: malformed request line 400, oversized headers 431", async () => {
    const before = `${f.snapshot()}|${String(f.accessLayer.sessions.size)}`;
    const bad = await raw(port(), 'GARBAGE\r\n\r\n');
    expect(bad).toMatch(/^HTTP\/1\.1 400 /);
    expect(JSON.parse(bad.slice(bad.indexOf('\r\n\r\n') + 4))).toEqual({
      code: 'INVALID_INPUT',
      message: 'the request is not valid HTTP/1.1',
    });
    const big = await raw(port(), `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    expect(big).toMatch(/^HTTP\/1\.1 431 /);
    expect(JSON.parse(big.slice(big.indexOf('\r\n\r\n') + 4))).toMatchObject({ code: 'HEADERS_TOO_LARGE' });
    expect(`${f.snapshot()}|${String(f.accessLayer.sessions.size)}`).toBe(before);
  });

  it('request logs keep the path, never the query string', async () => {
    await f.app.inject({ method: 'GET', url: '/v1/keys?token=s3cr3t-value&x=1' });
    await new Promise((r) => setImmediate(r));
    expect(logs).toContain('"url":"/v1/keys"');
    expect(logs).not.toContain('s3cr3t-value');
  });
});
