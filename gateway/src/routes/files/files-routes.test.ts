// SPDX-License-Identifier: Apache-2.0
/**
 * The file routes at the HTTP edge (docs/protocol.md §17): their refusals with code and status,
 * and nothing staged by any of them; the upload's GET (and HEAD) answering the committed offset;
 * a PUT whose connection drops over a real socket keeping its whole parts for the next PUT.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MedshareClient } from '@medshare/app';
import type { UploadGrant } from '@medshare/protocol';
import { FileService } from '../../files/file-service';
import { ProxyPool } from '../../proxy/proxy-pool';
import { EmbeddedBlobStore } from '../../storage/embedded-blob-store';
import { embeddedStoreFiles } from '../../testing/blob-store-contract';
import { GatewayFixture, ORG, party } from '../../testing/fixture';

const C = 64 * 1024;
const P = 2 * C;

let f: GatewayFixture;
let blobs: string;
let client: MedshareClient;
const patient = party();

beforeAll(async () => {
  blobs = mkdtempSync(join(tmpdir(), 'medshare-file-routes-'));
  const store = new EmbeddedBlobStore({ dir: blobs });
  f = await GatewayFixture.create({
    fileService: (accessLayer, ledger) => {
      const proxies = new ProxyPool({ hosted: [], peers: [], ledger, org: ORG, signer: () => accessLayer.signingK3() });
      const service = new FileService({ store, accessLayer, proxies, maxFileBytes: 1024 * 1024, targetPartBytes: P });
      accessLayer.useHooks(service.hooks());
      return { service, proxies };
    },
  });
  client = f.client();
  await client.register(patient, 'patient');
}, 60_000);

afterAll(async () => {
  await f.close();
  rmSync(blobs, { recursive: true, force: true });
});

const stored = (): string[] => embeddedStoreFiles(blobs);

interface Answer {
  readonly statusCode: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
  json(): unknown;
}

/** A request over a real socket (the transfer routes set socket timeouts, which inject has not). */
async function http(method: string, path: string, headers: Record<string, string>, payload?: Buffer): Promise<Answer> {
  const base = await f.listening();
  return new Promise((resolve, reject) => {
    // A connection of its own, closed after the answer: nothing is left open for the fixture to wait on.
    const req = request(new URL(path, base), { method, headers, agent: false }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => {
        const body = Buffer.concat(parts).toString('utf8');
        resolve({
          statusCode: res.statusCode ?? 0,
          headers: res.headers,
          body,
          json: () => JSON.parse(body) as unknown,
        });
      });
    });
    req.on('error', reject);
    req.end(payload);
  });
}

const put = (grant: UploadGrant, payload: Buffer, headers: Record<string, string> = {}): Promise<Answer> =>
  http(
    'PUT',
    `/v1/files/uploads/${grant.uploadId}`,
    {
      authorization: `Bearer ${grant.uploadToken}`,
      'content-type': 'application/octet-stream',
      'content-length': String(payload.length),
      ...headers,
    },
    payload,
  );

describe('file routes: refusals at the edge, each with its code and nothing staged', () => {
  it('refuses a begin whose body is not a sealed message (INVALID_INPUT, 400)', async () => {
    const before = stored();
    const res = await f.app.inject({
      method: 'POST',
      url: '/v1/files/uploads',
      remoteAddress: '127.0.0.1',
      payload: { sessionId: 'x' },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'INVALID_INPUT' });
    expect(stored()).toEqual(before);
  });

  it.each([
    ['no bearer token', { authorization: '' }, 401, 'FILE_TOKEN_INVALID'],
    ['another scheme', { authorization: `Basic ${'ab'.repeat(32)}` }, 401, 'FILE_TOKEN_INVALID'],
    ['a negative Upload-Offset', { 'upload-offset': '-1' }, 400, 'INVALID_INPUT'],
    ['an Upload-Offset with a leading zero', { 'upload-offset': '01' }, 400, 'INVALID_INPUT'],
    ['an Upload-Offset that is not a number', { 'upload-offset': 'abc' }, 400, 'INVALID_INPUT'],
    ['an Upload-Offset that is not the stored one', { 'upload-offset': String(P) }, 409, 'UPLOAD_OFFSET_MISMATCH'],
  ])('refuses a PUT with %s (%s → %i %s); the connection is closed', async (_what, headers, status, code) => {
    const grant = await client.beginFileUpload(patient, 3 * C, C);
    const before = stored();
    const res = await put(grant, randomBytes(3 * C), headers);
    expect(res.statusCode).toBe(status);
    expect(res.json()).toMatchObject({ code });
    expect(res.headers.connection).toBe('close');
    expect(stored()).toEqual(before);
    // The upload itself is untouched: it still takes its bytes from 0.
    expect((await put(grant, randomBytes(3 * C))).statusCode).toBe(200);
  });

  it('refuses a PUT and a GET of an uploadId that is not 64 hex (INVALID_INPUT)', async () => {
    const grant = await client.beginFileUpload(patient, 10, C);
    const bad = { ...grant, uploadId: 'XYZ' };
    expect((await put(bad, randomBytes(10))).json()).toMatchObject({ code: 'INVALID_INPUT' });
    const res = await f.app.inject({ method: 'GET', url: '/v1/files/uploads/xyz', remoteAddress: '127.0.0.1' });
    expect(res.statusCode).toBe(400);
  });

  it('refuses the leaves and content without a download token (FILE_TOKEN_INVALID) and a malformed Range (INVALID_INPUT)', async () => {
    const fileId = 'ef'.repeat(32);
    for (const what of ['leaves', 'content']) {
      const none = await http('GET', `/v1/files/${fileId}/${what}`, {});
      expect(none.statusCode).toBe(401);
      expect(none.json()).toMatchObject({ code: 'FILE_TOKEN_INVALID' });
      for (const range of ['bytes=5-2', 'bytes=-5', 'items=0-1', 'bytes=0-1,3-4']) {
        const res = await http('GET', `/v1/files/${fileId}/${what}`, {
          authorization: `Bearer ${'ab'.repeat(32)}`,
          range,
        });
        expect(res.statusCode).toBe(400);
        expect(res.json()).toMatchObject({ code: 'INVALID_INPUT' });
      }
    }
  });
});

describe("the upload's GET and HEAD", () => {
  it('answer the offset stored (JSON and an Upload-Offset header), the digest once staged; refuse a wrong token', async () => {
    const grant = await client.beginFileUpload(patient, 3 * C, C);
    const get = (method: 'GET' | 'HEAD', token = grant.uploadToken) =>
      f.app.inject({
        method,
        url: `/v1/files/uploads/${grant.uploadId}`,
        remoteAddress: '127.0.0.1',
        headers: { authorization: `Bearer ${token}` },
      });
    const first = await get('GET');
    expect(first.statusCode).toBe(200);
    expect(first.json()).toEqual({
      uploadId: grant.uploadId,
      size: 3 * C,
      chunkBytes: C,
      offset: 0,
      expiresAt: grant.expiresAt,
    });
    expect(first.headers['upload-offset']).toBe('0');
    expect(first.headers['cache-control']).toBe('no-store');
    const head = await get('HEAD');
    expect(head.statusCode).toBe(200);
    expect(head.headers['upload-offset']).toBe('0');
    expect(head.body).toBe('');
    const staged = (await put(grant, randomBytes(3 * C))).json() as { root: string };
    const done = await get('GET');
    expect(done.json()).toMatchObject({ offset: 3 * C, staged: { size: 3 * C, root: staged.root, chunks: 3 } });
    const wrong = await get('GET', 'ab'.repeat(32));
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json()).toMatchObject({ code: 'FILE_TOKEN_INVALID' });
  });

  it('keeps the whole parts of a PUT whose connection drops (a real socket), and the next PUT goes on from them', async () => {
    const base = await f.listening();
    const size = 5 * C + 11;
    const grant = await client.beginFileUpload(patient, size, C);
    const bytes = randomBytes(size);
    await new Promise<void>((resolve) => {
      const req = request(new URL(`/v1/files/uploads/${grant.uploadId}`, base), {
        method: 'PUT',
        headers: {
          authorization: `Bearer ${grant.uploadToken}`,
          'content-type': 'application/octet-stream',
          'content-length': String(size),
        },
      });
      req.on('error', () => resolve());
      req.write(bytes.subarray(0, P + C), () => setTimeout(() => req.destroy(), 200));
    });
    let offset = 0;
    for (let i = 0; i < 50 && offset === 0; i++) {
      await new Promise((r) => setTimeout(r, 20));
      offset = (await client.fileUploadState(grant)).offset;
    }
    expect(offset).toBe(P);
    expect(stored()).toContain(`.parts/staging~${grant.uploadId}`);
    const rest = await put(grant, bytes.subarray(P), { 'upload-offset': String(P) });
    expect(rest.statusCode).toBe(200);
    expect(rest.json()).toMatchObject({ size, chunks: 6 });
    expect(stored()).toContain(`staging/${grant.uploadId}~`);
  });
});
