// SPDX-License-Identifier: Apache-2.0
import { toHex } from '@medshare/crypto/bytes';
import { generateKeyPair } from '@medshare/crypto/sm2';
import { sm3 } from '@medshare/crypto/sm3';
import { randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  readdirSync,
  writeFileSync,
  writeSync,
  closeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { MedshareClient, httpsTransport, loadAppConfig, newFileKey } from '@medshare/app';
import { keyIdOf } from '@medshare/protocol';
import { removeData, startGateway, type GatewayProcess } from './support/gateway-process';

const MiB = 1024 * 1024;

/** Every object in the embedded store, by key (the store's folder holds `<key>~`). */
function objects(blobs: string, prefix: 'files' | 'staging'): string[] {
  const dir = join(blobs, prefix);
  return existsSync(dir) ? readdirSync(dir).sort() : [];
}

const digest = (path: string): string => toHex(sm3(new Uint8Array(readFileSync(path))));

describe('large files on the embedded runtime: upload, 2-of-3 share, download, refusals', () => {
  let gw: GatewayProcess;
  let dir: string;
  afterAll(async () => {
    await gw.stop();
    removeData(gw.dataDir);
    removeData(dir);
  });

  it('a patient uploads 5 MiB in 1 MiB chunks, shares it 2-of-3 with a doctor who downloads it; every refusal changes nothing', async () => {
    gw = await startGateway();
    dir = mkdtempSync(join(tmpdir(), 'medshare-files-it-'));
    const blobs = join(gw.dataDir, 'blobs');
    const config = loadAppConfig(gw.appConfig);
    const client = new MedshareClient(config.client);
    const [patient, doctor, stranger] = [generateKeyPair(), generateKeyPair(), generateKeyPair()];
    await client.register(patient, 'patient');
    await client.register(doctor, 'doctor');
    await client.register(stranger, 'doctor');
    const admin = httpsTransport({
      baseUrl: config.client.gatewayUrl,
      ...(config.client.ca ? { ca: config.client.ca } : {}),
      headers: { authorization: `Bearer ${readFileSync(config.adminTokenFile as string, 'utf8').trim()}` },
    });
    for (const d of [doctor, stranger]) await admin.post(`/v1/admin/users/${keyIdOf(d.publicKey)}/approve`, {});
    admin.close();
    const doctorId = keyIdOf(doctor.publicKey);

    const source = join(dir, 'scan.bin');
    writeFileSync(source, randomBytes(5 * MiB + 12345));
    const progress: number[] = [];
    const up = await client.uploadFile(patient, source, {
      mediaType: 'application/dicom',
      chunkBytes: MiB,
      onProgress: (p) => progress.push(p.bytes),
    });
    expect(up).toMatchObject({ size: 5 * MiB + 12345, chunks: 6 });
    expect(progress[progress.length - 1]).toBe(5 * MiB + 12345);
    expect(objects(blobs, 'files')).toEqual([`${up.root}.leaves~`, `${up.root}~`]);
    expect(objects(blobs, 'staging')).toEqual([]);

    expect((await client.listProxies()).length).toBe(3);
    const share = await client.shareFile(patient, up.fileId, doctorId);
    expect(share).toMatchObject({ threshold: 2, receiverKeyId: doctorId });
    expect((await client.listSharedFiles(doctor)).items.map((i) => i.fileId)).toEqual([up.fileId]);

    // the doctor, through 2-of-3 re-encryption
    const got = join(dir, 'doctor.bin');
    const down = await client.downloadFile(doctor, up.fileId, got);
    expect(digest(got)).toBe(digest(source));
    expect(down.proxies).toHaveLength(2);
    // the owner, with its own delegating secret
    const own = join(dir, 'owner.bin');
    await client.downloadFile(patient, up.fileId, own);
    expect(digest(own)).toBe(digest(source));

    // a tampered stored chunk: refused before any plaintext of it is written, nothing left behind
    const object = join(blobs, 'files', `${up.root}~`);
    const fd = openSync(object, 'r+');
    const byte = Buffer.alloc(1);
    readSync(fd, byte, 0, 1, 3 * MiB + 7);
    writeSync(fd, Buffer.of(byte[0]! ^ 0x01), 0, 1, 3 * MiB + 7);
    const tampered = join(dir, 'tampered.bin');
    await expect(client.downloadFile(doctor, up.fileId, tampered)).rejects.toMatchObject({ code: 'INTEGRITY_FAILED' });
    expect(existsSync(tampered)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.includes('partial'))).toEqual([]);
    writeSync(fd, byte, 0, 1, 3 * MiB + 7);
    closeSync(fd);

    // a stranger: no share, no token; a forged token opens nothing
    await expect(client.downloadFile(stranger, up.fileId, join(dir, 's.bin'))).rejects.toMatchObject({
      code: 'SHARE_NOT_FOUND',
    });
    const plain = httpsTransport({
      baseUrl: config.client.gatewayUrl,
      ...(config.client.ca ? { ca: config.client.ca } : {}),
    });
    await expect(
      plain.download!(`/v1/files/${up.fileId}/content`, { authorization: `Bearer ${'ab'.repeat(32)}` }),
    ).rejects.toMatchObject({ code: 'FILE_TOKEN_INVALID' });

    // revoked: the proxies refuse, no file is written
    await client.revokeFile(patient, up.fileId, doctorId);
    const revoked = join(dir, 'revoked.bin');
    await expect(client.downloadFile(doctor, up.fileId, revoked)).rejects.toMatchObject({ code: 'SHARE_NOT_FOUND' });
    expect(existsSync(revoked)).toBe(false);

    // an upload whose request names another root: refused, nothing staged, nothing on the ledger
    const before = (await client.listFiles(patient)).items.length;
    const small = join(dir, 'small.bin');
    writeFileSync(small, randomBytes(100_000));
    const grant = await client.beginFileUpload(patient, 100_000, 65_536);
    const key = newFileKey(patient.publicKey);
    const staged = await client.stageFile(grant, small, key, { chunkBytes: 65_536, size: 100_000 });
    expect(objects(blobs, 'staging')).toEqual([`${grant.uploadId}~`]);
    const wrongRoot = staged.root.replace(/^./, (c) => (c === '0' ? '1' : '0'));
    await expect(
      client.commitFileUpload(patient, {
        uploadId: grant.uploadId,
        root: wrongRoot,
        size: 100_000,
        chunkBytes: 65_536,
        mediaType: 'application/pdf',
        capsule: key.capsule,
        delegatingKey: key.delegatingKey,
        ownerKeyWrap: key.ownerKeyWrap,
        keyCheck: '00'.repeat(16),
      }),
    ).rejects.toMatchObject({ code: 'INTEGRITY_FAILED' });
    expect(objects(blobs, 'staging')).toEqual([]);
    expect((await client.listFiles(patient)).items.length).toBe(before);

    // a body of another size than the one begun: refused, nothing staged
    const other = await client.beginFileUpload(patient, 100_000, 65_536);
    await expect(
      plain.upload!(`/v1/files/uploads/${other.uploadId}`, Readable.from([randomBytes(100_001)]), 100_001, {
        authorization: `Bearer ${other.uploadToken}`,
      }),
    ).rejects.toMatchObject({ code: 'INTEGRITY_FAILED' });
    expect(objects(blobs, 'staging')).toEqual([]);
    expect(objects(blobs, 'files')).toEqual([`${up.root}.leaves~`, `${up.root}~`]);
    plain.close();
    client.close();
  }, 120_000);
});
