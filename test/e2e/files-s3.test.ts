// SPDX-License-Identifier: Apache-2.0
/**
 * Large files on the S3 backend against the real SeaweedFS that globalSetup started: a gateway
 * process (embedded ledger) configured with `storage: {kind: 's3'}`, a patient's upload in chunks,
 * a 2-of-3 share, the doctor's download compared by SM3, a tampered stored object refused
 * (INTEGRITY_FAILED, no output), a revoked doctor refused, and nothing left in staging; then an
 * upload whose connection drops resumed from the multipart parts S3 holds, and a refused one's
 * parts aborted. Alone:
 *   MEDSHARE_E2E_STORAGE_ONLY=1 npm run jest -- test/e2e/files-s3.test.ts --selectProjects e2e
 */
import { toHex } from '@medshare/crypto/bytes';
import { generateKeyPair } from '@medshare/crypto/sm2';
import { sm3 } from '@medshare/crypto/sm3';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { ListMultipartUploadsCommand } from '@aws-sdk/client-s3';
import { MedshareClient, httpsTransport, loadAppConfig, type ResumeEvent } from '@medshare/app';
import { keyIdOf } from '@medshare/protocol';
import { flakyRelay } from '../integration/support/flaky-relay';
import { removeData, startGateway, type GatewayProcess } from '../integration/support/gateway-process';
import { localS3, rawBucket } from './support/local-s3';

const MiB = 1024 * 1024;

const digest = (path: string): string => toHex(sm3(new Uint8Array(readFileSync(path))));

describe('large files on S3 (SeaweedFS): upload, 2-of-3 share, download, refusals', () => {
  const s3 = localS3();
  const bucket = rawBucket(s3);
  const { keys } = bucket;
  let gw: GatewayProcess | undefined;
  let dir = '';
  afterAll(async () => {
    await gw?.stop();
    if (gw) removeData(gw.dataDir);
    if (dir) removeData(dir);
    bucket.close();
  });

  it('stores only ciphertext in the bucket, serves the doctor through two proxies and refuses tampering and revocation', async () => {
    // First start writes the development layout; the second runs it with the S3 store.
    const first = await startGateway();
    await first.stop();
    const dataDir = first.dataDir;
    dir = mkdtempSync(join(tmpdir(), 'medshare-files-s3-'));
    const secretFile = join(dataDir, 'gateway', 's3-secret');
    writeFileSync(secretFile, s3.secretAccessKey, { mode: 0o600 });
    const configPath = join(dataDir, 'gateway', 'config.json');
    const config = JSON.parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>;
    config.storage = {
      kind: 's3',
      endpoint: s3.endpoint,
      region: s3.region,
      bucket: s3.bucket,
      accessKeyId: s3.accessKeyId,
      secretAccessKeyFile: secretFile,
    };
    writeFileSync(configPath, JSON.stringify(config, null, 2));
    gw = await startGateway({ dataDir });
    expect(existsSync(join(dataDir, 'blobs', 'files'))).toBe(false);

    const app = loadAppConfig(gw.appConfig);
    const client = new MedshareClient(app.client);
    const [patient, doctor] = [generateKeyPair(), generateKeyPair()];
    await client.register(patient, 'patient');
    await client.register(doctor, 'doctor');
    const admin = httpsTransport({
      baseUrl: app.client.gatewayUrl,
      ...(app.client.ca ? { ca: app.client.ca } : {}),
      headers: { authorization: `Bearer ${readFileSync(app.adminTokenFile as string, 'utf8').trim()}` },
    });
    await admin.post(`/v1/admin/users/${keyIdOf(doctor.publicKey)}/approve`, {});
    admin.close();
    const doctorId = keyIdOf(doctor.publicKey);

    const source = join(dir, 'scan.bin');
    const plaintext = randomBytes(3 * MiB + 4321);
    writeFileSync(source, plaintext);
    const up = await client.uploadFile(patient, source, { mediaType: 'application/dicom', chunkBytes: MiB });
    expect(up).toMatchObject({ size: plaintext.length, chunks: 4 });
    expect((await keys(`files/${up.root}`)).sort()).toEqual([`files/${up.root}`, `files/${up.root}.leaves`]);
    expect(await keys('staging/')).toEqual([]);
    // The bucket holds ciphertext: no 64-byte window of the plaintext appears in the object.
    const stored = await bucket.get(`files/${up.root}`);
    expect(stored.length).toBe(plaintext.length);
    expect(stored.includes(plaintext.subarray(MiB, MiB + 64))).toBe(false);

    await client.shareFile(patient, up.fileId, doctorId);
    const got = join(dir, 'doctor.bin');
    const down = await client.downloadFile(doctor, up.fileId, got);
    expect(digest(got)).toBe(digest(source));
    expect(down.proxies).toHaveLength(2);

    // A tampered object (the raw client bypasses the gateway's write-once store): refused, no output.
    const tamperedBytes = Buffer.from(stored);
    tamperedBytes[2 * MiB + 5] = (tamperedBytes[2 * MiB + 5] ?? 0) ^ 0x01;
    await bucket.put(`files/${up.root}`, tamperedBytes);
    const tampered = join(dir, 'tampered.bin');
    await expect(client.downloadFile(doctor, up.fileId, tampered)).rejects.toMatchObject({ code: 'INTEGRITY_FAILED' });
    expect(existsSync(tampered)).toBe(false);
    await bucket.put(`files/${up.root}`, stored);

    await client.revokeFile(patient, up.fileId, doctorId);
    const revoked = join(dir, 'revoked.bin');
    await expect(client.downloadFile(doctor, up.fileId, revoked)).rejects.toMatchObject({ code: 'SHARE_NOT_FOUND' });
    expect(existsSync(revoked)).toBe(false);
    expect(await keys('staging/')).toEqual([]);
    client.close();
  }, 180_000);

  const unfinished = async (prefix: string): Promise<string[]> =>
    (
      (await bucket.client.send(new ListMultipartUploadsCommand({ Bucket: s3.bucket, Prefix: prefix }))).Uploads ?? []
    ).map((u) => u.Key ?? '');

  it('resumes an upload whose connection drops from the parts S3 holds; a refused upload leaves no part', async () => {
    if (!gw) throw new Error('the gateway of the first case is not running');
    const app = loadAppConfig(gw.appConfig);
    // The SDK reaches the gateway through a relay that drops the first connection past 11 MiB.
    const relay = await flakyRelay(gw.port, 11 * MiB);
    const resumes: ResumeEvent[] = [];
    const client = new MedshareClient({
      ...app.client,
      gatewayUrl: `https://127.0.0.1:${relay.port}`,
      fileUploadRetry: { delayMs: 100 },
    });
    try {
      const patient = generateKeyPair();
      await client.register(patient, 'patient');
      const source = join(dir, 'resumed.bin');
      writeFileSync(source, randomBytes(20 * MiB + 999));
      const up = await client.uploadFile(patient, source, { chunkBytes: MiB, onResume: (r) => resumes.push(r) });
      expect(relay.cuts()).toBe(1);
      // The upload resumes once, from the parts S3 holds: whole 8 MiB parts before the cut at
      // 11 MiB. Normally the first (an UploadPart of the multipart upload); on a loaded machine that
      // part may still have been in flight when the connection dropped, and then it is 0.
      expect(resumes).toHaveLength(1);
      expect(resumes[0]).toMatchObject({ attempt: 2 });
      expect([0, 8 * MiB]).toContain(resumes[0]?.offset);
      expect((await keys(`files/${up.root}`)).sort()).toEqual([`files/${up.root}`, `files/${up.root}.leaves`]);
      expect(await keys('staging/')).toEqual([]);
      // No multipart upload of this one is left (the bucket may hold other runs' leftovers, which the sweep ages out).
      const { uploadId } = await client.getFile(patient, up.fileId);
      expect(await unfinished(`staging/${uploadId}`)).toEqual([]);
      const got = join(dir, 'resumed.out');
      await client.downloadFile(patient, up.fileId, got);
      expect(digest(got)).toBe(digest(source));

      // An upload cut after a part, then refused (a body longer than begun): its parts are aborted.
      const plain = httpsTransport({ baseUrl: app.client.gatewayUrl, ...(app.client.ca ? { ca: app.client.ca } : {}) });
      const size = 12 * MiB;
      const grant = await client.beginFileUpload(patient, size, MiB);
      const auth = { authorization: `Bearer ${grant.uploadToken}` };
      const bytes = randomBytes(size + 1);
      const cut = new PassThrough();
      const first = plain.upload!(`/v1/files/uploads/${grant.uploadId}`, cut, size, auth);
      cut.write(bytes.subarray(0, 9 * MiB), () => setTimeout(() => cut.destroy(new Error('dropped')), 500));
      await expect(first).rejects.toBeDefined();
      let state = await client.fileUploadState(grant);
      for (let i = 0; i < 50 && state.offset === 0; i++) {
        await new Promise((r) => setTimeout(r, 100));
        state = await client.fileUploadState(grant);
      }
      expect(state.offset).toBe(8 * MiB);
      expect(await unfinished(`staging/${grant.uploadId}`)).toEqual([`staging/${grant.uploadId}`]);
      await expect(
        plain.upload!(
          `/v1/files/uploads/${grant.uploadId}`,
          Readable.from([bytes.subarray(8 * MiB)]),
          size + 1 - 8 * MiB,
          {
            ...auth,
            'upload-offset': String(8 * MiB),
          },
        ),
      ).rejects.toMatchObject({ code: 'INTEGRITY_FAILED' });
      expect(await unfinished(`staging/${grant.uploadId}`)).toEqual([]);
      expect(await keys(`staging/${grant.uploadId}`)).toEqual([]);
      plain.close();
    } finally {
      client.close();
      await relay.close();
    }
  }, 180_000);
});
