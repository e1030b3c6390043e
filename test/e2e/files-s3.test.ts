// SPDX-License-Identifier: Apache-2.0
/**
 * Large files on the S3 backend against the real SeaweedFS that globalSetup started: a gateway
 * process (embedded ledger) configured with `storage: {kind: 's3'}`, a patient's upload in chunks,
 * a 2-of-3 share, the doctor's download compared by SM3, a tampered stored object refused
 * (INTEGRITY_FAILED, no output), a revoked doctor refused, and nothing left in staging. Alone:
 *   MEDSHARE_E2E_STORAGE_ONLY=1 npm run jest -- test/e2e/files-s3.test.ts --selectProjects e2e
 */
import { toHex } from '@medshare/crypto/bytes';
import { generateKeyPair } from '@medshare/crypto/sm2';
import { sm3 } from '@medshare/crypto/sm3';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MedshareClient, httpsTransport, loadAppConfig } from '@medshare/app';
import { keyIdOf } from '@medshare/protocol';
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
});
