// SPDX-License-Identifier: Apache-2.0
/**
 * The files service (docs/protocol.md §17 "Through the gateway") over the embedded ledger and
 * store: every refusal of the upload path with its code and nothing staged, promoted or written
 * to the ledger; resumable staging; the re-promotion of a committed descriptor whose object is
 * missing (a fault point stands for a gateway that died between the commit and the promotion);
 * and the sweep on a fake clock.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { newFileKey, type MedshareClient, type NewFileKey } from '@medshare/app';
import { fail, type UploadGrant } from '@medshare/protocol';
import { ProxyPool } from '../proxy/proxy-pool';
import type { BlobStore } from '../storage/blob-store';
import { EmbeddedBlobStore } from '../storage/embedded-blob-store';
import { embeddedStoreFiles, readAll } from '../testing/blob-store-contract';
import { GatewayFixture, ORG, party } from '../testing/fixture';
import { FileService, UPLOAD_TOKEN_TTL_MS, type FileServiceOptions } from './file-service';
import type { LedgerBackend } from '../ledger/backend';
import type { AccessLayer } from '../pipeline/access-layer';
import { fromHex, toHex } from '@medshare/crypto/bytes';
import { chunkLength, cryptChunk, fileLayout, keyCheck, leafHash, treeRoot } from '@medshare/crypto/chunked-file';

const C = 64 * 1024;
/** Staging parts of 2 chunks, so that small uploads have several. */
const P = 2 * C;
const MAX_AGE = 5 * 60_000;
const IP = '127.0.0.1';

/** Fault points of the store under the service: a promotion's copy, a claim's write. */
const faults = { failCopies: 0, failClaims: 0 };

function faulty(inner: EmbeddedBlobStore): BlobStore {
  return {
    kind: inner.kind,
    minPartBytes: inner.minPartBytes,
    put: (key, body) => {
      if (faults.failClaims > 0 && /^staging\/.*\.leaves$/.test(key)) {
        faults.failClaims--;
        body.destroy();
        return Promise.reject(fail('STORAGE_UNAVAILABLE', 'the test store refuses this write'));
      }
      return inner.put(key, body);
    },
    get: (key, range) => inner.get(key, range),
    head: (key) => inner.head(key),
    copy: (from, to) => {
      if (faults.failCopies > 0) {
        faults.failCopies--;
        return Promise.reject(fail('STORAGE_UNAVAILABLE', 'the gateway "died" before the promotion'));
      }
      return inner.copy(from, to);
    },
    delete: (key) => inner.delete(key),
    list: (prefix, options) => inner.list(prefix, options),
    startResumable: (key) => inner.startResumable(key),
    listResumable: (prefix) => inner.listResumable(prefix),
    ready: () => inner.ready(),
    close: () => inner.close(),
  };
}

let f: GatewayFixture;
let blobs: string;
let store: BlobStore;
let service: FileService;
let client: MedshareClient;
const patient = party();
const other = party();
const doctor = party();
const logged: string[] = [];

let accessLayer: AccessLayer;
let ledger: LedgerBackend;

function proxies(): ProxyPool {
  return new ProxyPool({ hosted: [], peers: [], ledger, org: ORG, signer: () => accessLayer.signingK3() });
}

/** A files service as a (re)started gateway has it: nothing in memory. */
function newService(options: Partial<FileServiceOptions> = {}): FileService {
  return new FileService({
    store,
    accessLayer,
    proxies: proxies(),
    maxFileBytes: 4 * 1024 * 1024,
    stagingMaxAgeMs: MAX_AGE,
    targetPartBytes: P,
    clock: () => f.now,
    log: { info: (_o, m) => logged.push(m), warn: (_o, m) => logged.push(m) },
    ...options,
  });
}

/** The gateway restarted: a new service (empty memory) on the same store and ledger. */
async function restart(): Promise<void> {
  await service.close();
  service = newService();
  accessLayer.useHooks(service.hooks());
}

beforeAll(async () => {
  blobs = mkdtempSync(join(tmpdir(), 'medshare-file-service-'));
  store = faulty(new EmbeddedBlobStore({ dir: blobs }));
  f = await GatewayFixture.create({
    fileService: (layer, backend) => {
      accessLayer = layer;
      ledger = backend;
      service = newService();
      layer.useHooks(service.hooks());
      // The routes call whichever service is current: restart() swaps it, as a new process would.
      const routed = new Proxy(service, {
        get: (_target, name) => {
          const value: unknown = Reflect.get(service, name, service);
          return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(service) : value;
        },
      });
      return { service: routed, proxies: proxies() };
    },
  });
  client = f.client();
  await client.register(patient, 'patient');
  await client.register(other, 'patient');
  await client.register(doctor, 'doctor');
}, 60_000);

afterAll(async () => {
  await service.close();
  await f.close();
  rmSync(blobs, { recursive: true, force: true });
});

beforeEach(() => {
  faults.failCopies = 0;
  faults.failClaims = 0;
  logged.length = 0;
});

const stored = (): string[] => embeddedStoreFiles(blobs);

const begin = (size: number, who = patient): Promise<UploadGrant> => client.beginFileUpload(who, size, C);
const stage = (
  grant: UploadGrant,
  body: Readable,
  put: { contentLength?: number; offset?: number } = {},
  token: string | undefined = grant.uploadToken,
  ip = IP,
): ReturnType<FileService['stage']> =>
  service.stage(grant.uploadId, token, ip, body, { contentLength: put.contentLength, offset: put.offset ?? 0 });

/** A ciphertext as the SDK makes it, and what the file-upload request needs of it. */
async function ciphertext(size: number): Promise<{ bytes: Buffer; key: NewFileKey; root: string }> {
  const key = newFileKey(patient.publicKey);
  const layout = fileLayout(size, C);
  const plain = randomBytes(size);
  const chunks: Uint8Array[] = [];
  const leaves: Uint8Array[] = [];
  for (let i = 0; i < layout.chunks; i++) {
    const chunk = cryptChunk(key.encryption, i, plain.subarray(i * C, i * C + chunkLength(layout, i)));
    chunks.push(chunk);
    leaves.push(leafHash(i, i === layout.chunks - 1, chunk));
  }
  return Promise.resolve({ bytes: Buffer.concat(chunks), key, root: toHex(treeRoot(leaves)) });
}

function uploadBody(grant: UploadGrant, c: { key: NewFileKey; root: string }, size: number, over: object = {}) {
  return {
    uploadId: grant.uploadId,
    root: c.root,
    size,
    chunkBytes: C,
    mediaType: 'application/dicom',
    capsule: c.key.capsule,
    delegatingKey: c.key.delegatingKey,
    ownerKeyWrap: c.key.ownerKeyWrap,
    keyCheck: toHex(keyCheck(c.key.check, fromHex(c.root))),
    ...over,
  };
}

/** A body of `data` that fails after `cut` bytes, once they have all been read (a dropped connection). */
function dropping(data: Buffer, cut: number): Readable {
  const body = new PassThrough();
  void (async () => {
    for (let o = 0; o < cut; o += 4096) {
      if (!body.write(data.subarray(o, Math.min(o + 4096, cut)))) await new Promise((r) => body.once('drain', r));
    }
    while (body.readableLength > 0 || body.writableLength > 0) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, 20));
    body.destroy(Object.assign(new Error('aborted'), { code: 'ECONNRESET' }));
  })();
  return body;
}

describe('begin (file-upload-begin)', () => {
  it('refuses an author who is not a patient (NOT_REGISTERED_PATIENT) and a size above the limit (PAYLOAD_TOO_LARGE); nothing is staged', async () => {
    const before = stored();
    await expect(begin(1000, doctor)).rejects.toMatchObject({ code: 'NOT_REGISTERED_PATIENT' });
    await expect(begin(4 * 1024 * 1024 + 1)).rejects.toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
    expect(stored()).toEqual(before);
  });
});

describe('stage (the PUT) and uploadState (the GET)', () => {
  it.each([
    ['no token', undefined],
    ['an unknown token', 'ab'.repeat(32)],
    ['a malformed token', 'xyz'],
  ])('refuses %s with FILE_TOKEN_INVALID and stages nothing', async (_what, token) => {
    const grant = await begin(1000);
    const before = stored();
    const body = Readable.from([randomBytes(1000)]);
    await expect(
      service.stage(grant.uploadId, token, IP, body, { contentLength: 1000, offset: 0 }),
    ).rejects.toMatchObject({ code: 'FILE_TOKEN_INVALID' });
    await expect(service.uploadState(grant.uploadId, token, IP)).rejects.toMatchObject({ code: 'FILE_TOKEN_INVALID' });
    expect(stored()).toEqual(before);
  });

  it("refuses another upload's token (FILE_TOKEN_INVALID), an expired one, and another source (SOURCE_NOT_ALLOWED); the upload is untouched", async () => {
    const a = await begin(1000);
    const b = await begin(1000);
    const before = stored();
    await expect(
      service.stage(a.uploadId, b.uploadToken, IP, Readable.from([randomBytes(1000)]), {
        contentLength: 1000,
        offset: 0,
      }),
    ).rejects.toMatchObject({ code: 'FILE_TOKEN_INVALID' });
    await expect(service.uploadState(a.uploadId, b.uploadToken, IP)).rejects.toMatchObject({
      code: 'FILE_TOKEN_INVALID',
    });
    await expect(stage(a, Readable.from([randomBytes(1000)]), {}, a.uploadToken, '10.9.9.9')).rejects.toMatchObject({
      code: 'SOURCE_NOT_ALLOWED',
    });
    await expect(service.uploadState(a.uploadId, a.uploadToken, '10.9.9.9')).rejects.toMatchObject({
      code: 'SOURCE_NOT_ALLOWED',
    });
    expect(stored()).toEqual(before);
    expect(await service.uploadState(a.uploadId, a.uploadToken, IP)).toMatchObject({ offset: 0, size: 1000 });
    f.now += UPLOAD_TOKEN_TTL_MS;
    try {
      await expect(stage(a, Readable.from([randomBytes(1000)]))).rejects.toMatchObject({ code: 'FILE_TOKEN_INVALID' });
      expect(stored()).toEqual(before);
    } finally {
      f.now -= UPLOAD_TOKEN_TTL_MS;
    }
  });

  it.each([
    ['a Content-Length other than the rest of the upload', 5 * C, { contentLength: 5 * C - 1 }],
    ['a body longer than begun', 5 * C + 1, {}],
    ['a body that ends before the begun size', 5 * C - 1, {}],
  ])(
    'refuses %s with INTEGRITY_FAILED and ends the upload: its parts removed, its token spent',
    async (_w, bytes, put) => {
      const grant = await begin(5 * C);
      const before = stored();
      await expect(stage(grant, Readable.from([randomBytes(bytes)]), put)).rejects.toMatchObject({
        code: 'INTEGRITY_FAILED',
      });
      expect(stored()).toEqual(before);
      await expect(service.uploadState(grant.uploadId, grant.uploadToken, IP)).rejects.toMatchObject({
        code: 'FILE_TOKEN_INVALID',
      });
    },
  );

  it('keeps the whole parts of a dropped PUT, answers that offset, refuses another (UPLOAD_OFFSET_MISMATCH) and resumes there', async () => {
    const size = 7 * C + 100;
    const c = await ciphertext(size);
    const grant = await begin(size);
    await expect(stage(grant, dropping(c.bytes, 2 * P + 10))).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    const state = await service.uploadState(grant.uploadId, grant.uploadToken, IP);
    expect(state).toEqual({ uploadId: grant.uploadId, size, chunkBytes: C, offset: 2 * P, expiresAt: grant.expiresAt });
    expect(stored()).toContain(`.parts/staging~${grant.uploadId}`);
    expect(stored()).not.toContain(`staging/${grant.uploadId}~`);
    const before = stored();
    for (const offset of [0, P, 2 * P + C]) {
      await expect(stage(grant, Readable.from([c.bytes.subarray(offset)]), { offset })).rejects.toMatchObject({
        code: 'UPLOAD_OFFSET_MISMATCH',
      });
    }
    expect(stored()).toEqual(before);
    const staged = await stage(grant, Readable.from([c.bytes.subarray(2 * P)]), {
      offset: 2 * P,
      contentLength: size - 2 * P,
    });
    expect(staged).toEqual({ size, root: c.root, chunks: 8 });
    expect(await service.uploadState(grant.uploadId, grant.uploadToken, IP)).toMatchObject({
      offset: size,
      staged: { size, root: c.root, chunks: 8 },
    });
    expect((await readAll(await store.get(`staging/${grant.uploadId}`))).equals(c.bytes)).toBe(true);
    expect(stored()).not.toContain(`.parts/staging~${grant.uploadId}`);
  });

  it('a GET cuts a PUT still running (the client asking has given up on it) and answers the offset it stored', async () => {
    const size = 6 * C;
    const c = await ciphertext(size);
    const grant = await begin(size);
    const body = new PassThrough();
    const running = stage(grant, body);
    body.write(c.bytes.subarray(0, P + 5));
    await new Promise((r) => setTimeout(r, 50));
    expect(await service.uploadState(grant.uploadId, grant.uploadToken, IP)).toMatchObject({ offset: P });
    await expect(running).rejects.toMatchObject({ code: 'UPLOAD_OFFSET_MISMATCH' });
    await expect(stage(grant, Readable.from([c.bytes.subarray(P)]), { offset: P })).resolves.toMatchObject({
      root: c.root,
    });
  });
});

describe('file-upload: the checks before the ledger, the promotion after it', () => {
  /** A staged upload of `size` bytes, ready to be recorded. */
  async function staged(
    size = 3 * C + 7,
  ): Promise<{ grant: UploadGrant; c: Awaited<ReturnType<typeof ciphertext>>; size: number }> {
    const c = await ciphertext(size);
    const grant = await begin(size);
    await stage(grant, Readable.from([c.bytes]));
    return { grant, c, size };
  }

  it.each([
    ['another root', { root: 'ab'.repeat(32) }],
    ['another size', { size: 3 * C + 8 }],
    ['another chunk size', { chunkBytes: 2 * C }],
  ])(
    'refuses a request naming %s (INTEGRITY_FAILED): nothing on the ledger, the staged object deleted',
    async (_w, over) => {
      const { grant, c, size } = await staged();
      const ledger = f.snapshot();
      await expect(client.commitFileUpload(patient, uploadBody(grant, c, size, over))).rejects.toMatchObject({
        code: 'INTEGRITY_FAILED',
      });
      expect(f.snapshot()).toBe(ledger);
      expect(stored().filter((k) => k.includes(grant.uploadId))).toEqual([]);
    },
  );

  it("refuses an upload nobody staged, and another patient's (INTEGRITY_FAILED): nothing on the ledger, the owner's object kept", async () => {
    const { grant, c, size } = await staged();
    const ledger = f.snapshot();
    const before = stored();
    await expect(
      client.commitFileUpload(patient, uploadBody(grant, c, size, { uploadId: 'cd'.repeat(32) })),
    ).rejects.toMatchObject({ code: 'INTEGRITY_FAILED' });
    await expect(client.commitFileUpload(other, uploadBody(grant, c, size))).rejects.toMatchObject({
      code: 'INTEGRITY_FAILED',
    });
    expect(f.snapshot()).toBe(ledger);
    expect(stored()).toEqual(before);
    // the owner still records it
    await expect(client.commitFileUpload(patient, uploadBody(grant, c, size))).resolves.toMatchObject({ root: c.root });
  });

  it('a claim the store cannot write refuses the request (STORAGE_UNAVAILABLE): nothing on the ledger, the object kept for a retry', async () => {
    const { grant, c, size } = await staged();
    const ledger = f.snapshot();
    const before = stored();
    faults.failClaims = 1;
    await expect(client.commitFileUpload(patient, uploadBody(grant, c, size))).rejects.toMatchObject({
      code: 'STORAGE_UNAVAILABLE',
    });
    expect(f.snapshot()).toBe(ledger);
    expect(stored()).toEqual(before);
    await expect(client.commitFileUpload(patient, uploadBody(grant, c, size))).resolves.toMatchObject({ root: c.root });
  });

  it('a refusal by the ledger deletes the claim and the staged object; nothing on the ledger', async () => {
    const { grant, c, size } = await staged();
    const ledger = f.snapshot();
    await expect(
      client.commitFileUpload(patient, uploadBody(grant, c, size, { capsule: '02'.padEnd(196, '0') })),
    ).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    expect(f.snapshot()).toBe(ledger);
    expect(stored().filter((k) => k.includes(grant.uploadId))).toEqual([]);
  });

  it('a commit promotes to files/<root> and its leaves, deletes the claim and the staged object; a second claim is refused', async () => {
    const { grant, c, size } = await staged();
    const up = await client.commitFileUpload(patient, uploadBody(grant, c, size));
    const objects = stored();
    expect(objects).toEqual(expect.arrayContaining([`files/${c.root}~`, `files/${c.root}.leaves~`]));
    expect(objects.filter((k) => k.includes(grant.uploadId))).toEqual([]);
    expect((await readAll(await store.get(`files/${c.root}`))).equals(c.bytes)).toBe(true);
    const ledger = f.snapshot();
    await expect(client.commitFileUpload(patient, uploadBody(grant, c, size))).rejects.toMatchObject({
      code: 'INTEGRITY_FAILED',
    });
    expect(f.snapshot()).toBe(ledger);
    expect(await client.getFile(patient, up.fileId)).toMatchObject({ uploadId: grant.uploadId, root: c.root });
  });

  it('re-promotes a committed descriptor whose object is missing (died between commit and promotion) on the next file-get, after a restart', async () => {
    const { grant, c, size } = await staged(5 * C + 3);
    faults.failCopies = 1;
    const up = await client.commitFileUpload(patient, uploadBody(grant, c, size));
    // The commit stood; the promotion did not happen: the staged object and its claim stay.
    expect(stored()).toEqual(
      expect.arrayContaining([`staging/${grant.uploadId}~`, `staging/${grant.uploadId}.leaves~`]),
    );
    expect(stored()).not.toContain(`files/${c.root}~`);
    // A new process: nothing in memory. Its sweep, whatever the clock, keeps a claimed object.
    await restart();
    f.now += 2 * MAX_AGE;
    try {
      const report = await service.sweep();
      expect(report.staleClaims).toBeGreaterThanOrEqual(1);
      expect(stored()).toContain(`staging/${grant.uploadId}~`);
    } finally {
      f.now -= 2 * MAX_AGE;
    }
    // The next read of the descriptor promotes it, checked against the descriptor's root.
    expect(await client.getFile(patient, up.fileId)).toMatchObject({ root: c.root });
    expect(stored()).toEqual(expect.arrayContaining([`files/${c.root}~`, `files/${c.root}.leaves~`]));
    expect(stored().filter((k) => k.includes(grant.uploadId))).toEqual([]);
    expect((await readAll(await store.get(`files/${c.root}`))).equals(c.bytes)).toBe(true);
    expect(logged).toContain('re-promoted a committed upload from staging');
  });

  it('re-promotes without the claim (its leaves computed again from the staged bytes); refuses staged bytes of another root', async () => {
    const { grant, c, size } = await staged(4 * C);
    faults.failCopies = 1;
    const up = await client.commitFileUpload(patient, uploadBody(grant, c, size));
    await store.delete(`staging/${grant.uploadId}.leaves`);
    await restart();
    await client.getFile(patient, up.fileId);
    expect(stored()).toEqual(expect.arrayContaining([`files/${c.root}~`, `files/${c.root}.leaves~`]));
    const leaves = await readAll(await store.get(`files/${c.root}.leaves`));
    expect(leaves.length).toBe(4 * 32);

    // Staged bytes that are not the descriptor's are never promoted.
    const second = await staged(2 * C);
    faults.failCopies = 1;
    const up2 = await client.commitFileUpload(patient, uploadBody(second.grant, second.c, second.size));
    const path = join(blobs, 'staging', `${second.grant.uploadId}~`);
    writeFileSync(path, randomBytes(2 * C));
    await store.delete(`staging/${second.grant.uploadId}.leaves`);
    await restart();
    await client.getFile(patient, up2.fileId);
    expect(stored()).not.toContain(`files/${second.c.root}~`);
    expect(logged).toContain("the staged object is not the committed descriptor's; not promoted");
  });
});

describe('the sweep (fake clock)', () => {
  it('deletes unclaimed staged objects and abandoned parts past the max age, never an upload in progress or a claimed one', async () => {
    // An unclaimed staged upload, an upload in progress (dropped, resumable), and a claim left by a "crash".
    const size = 5 * C;
    const a = await ciphertext(size);
    const unclaimed = await begin(size);
    await stage(unclaimed, Readable.from([a.bytes]));
    const resumable = await begin(size);
    await expect(stage(resumable, dropping(a.bytes, P + 3))).rejects.toMatchObject({ code: 'INVALID_INPUT' });

    // Within the max age: nothing goes.
    let before = stored();
    expect(await service.sweep()).toMatchObject({ deleted: 0, aborted: 0 });
    expect(stored()).toEqual(before);

    // Past the max age, within the token's life: the unclaimed object goes, the upload in progress stays.
    f.now += MAX_AGE + 1000;
    const report = await service.sweep();
    expect(report.deleted).toBeGreaterThanOrEqual(1);
    expect(stored()).not.toContain(`staging/${unclaimed.uploadId}~`);
    expect(stored()).toContain(`.parts/staging~${resumable.uploadId}`);
    expect(await service.uploadState(resumable.uploadId, resumable.uploadToken, IP)).toMatchObject({ offset: P });

    // A PUT running when its token expires is not cut by the sweep.
    const running = new PassThrough();
    const put = stage(resumable, running, { offset: P });
    running.write(a.bytes.subarray(P, P + 100));
    f.now += UPLOAD_TOKEN_TTL_MS;
    await service.sweep();
    expect(stored()).toContain(`.parts/staging~${resumable.uploadId}`);
    running.end(a.bytes.subarray(P + 100));
    await expect(put).resolves.toMatchObject({ root: a.root });

    // An expired upload no PUT runs for: its parts go.
    const expired = await begin(size);
    await expect(stage(expired, dropping(a.bytes, P + 3))).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    f.now += UPLOAD_TOKEN_TTL_MS;
    before = stored();
    expect(before).toContain(`.parts/staging~${expired.uploadId}`);
    expect((await service.sweep()).aborted).toBeGreaterThanOrEqual(1);
    expect(stored()).not.toContain(`.parts/staging~${expired.uploadId}`);
  });

  it('removes what a crashed process left (unknown staged objects, part files) by age, a sweep at a time, keeping claims', async () => {
    await restart();
    const ids = Array.from({ length: 5 }, () => randomBytes(32).toString('hex'));
    for (const id of ids) await store.put(`staging/${id}`, Readable.from([randomBytes(100)]));
    const claimed = randomBytes(32).toString('hex');
    await store.put(`staging/${claimed}`, Readable.from([randomBytes(100)]));
    await store.put(`staging/${claimed}.leaves`, Readable.from([randomBytes(32)]));
    const part = await store.startResumable(`staging/${randomBytes(32).toString('hex')}`);
    await part.writePart({ number: 1, offset: 0, length: 10 }, Readable.from([randomBytes(10)]));
    // Files written now look old to a clock two max ages ahead; one written "later" stays young.
    const young = randomBytes(32).toString('hex');
    await store.put(`staging/${young}`, Readable.from([randomBytes(100)]));
    const later = (f.now + 2 * MAX_AGE) / 1000;
    utimesSync(join(blobs, 'staging', `${young}~`), later, later);

    const small = newService({ sweepBatch: 3, clock: () => f.now + 2 * MAX_AGE });
    const left = (): number => ids.filter((id) => stored().includes(`staging/${id}~`)).length;
    const first = await small.sweep();
    expect(first.aborted).toBe(1);
    expect(left()).toBeGreaterThan(0);
    for (let i = 0; i < 5 && left() > 0; i++) await small.sweep();
    expect(left()).toBe(0);
    expect(stored()).toEqual(
      expect.arrayContaining([`staging/${claimed}~`, `staging/${claimed}.leaves~`, `staging/${young}~`]),
    );
    expect(stored().filter((k) => k.startsWith('.parts/'))).toEqual([]);
    await small.close();
  });
});
