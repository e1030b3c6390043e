// SPDX-License-Identifier: Apache-2.0
import { utf8 } from '@medshare/crypto/bytes';
import { generateKeyPair } from '@medshare/crypto/sm2';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { MedshareClient, loadAppConfig } from '@medshare/app';
import { encryptKeyFile, keyIdOf, verifyLoginAssertion } from '@medshare/protocol';
import { adminTransport } from './support/admin';
import { ROOT, gatewayForSuite, removeData } from './support/gateway-process';

const run = promisify(execFile);
const CLI = join(ROOT, 'app', 'bin', 'medshare.js');
const PASSPHRASE = 'environment integration passphrase';

/** Every object in the embedded store (`files/…`, `staging/…`), sorted. */
function objects(blobs: string): string[] {
  return ['files', 'staging'].flatMap((dir) =>
    existsSync(join(blobs, dir)) ? readdirSync(join(blobs, dir)).map((name) => `${dir}/${name}`) : [],
  );
}

/**
 * The sharing-environment check and the login over a real `npm start` process (embedded
 * ledger, embedded object store, three hosted proxies, HTTPS): shares and downloads of records
 * and files refused by the app-version policy, the clock skew, an unregistered author and an
 * unapproved receiver, each leaving the ledger (audit trails, share lists) and the store as they
 * were and writing no output file; then `medshare login` with a key file.
 */
describe('environment checks and login on the embedded runtime', () => {
  const gateway = gatewayForSuite();
  const dir = mkdtempSync(join(tmpdir(), 'medshare-env-it-'));
  afterAll(() => removeData(dir));

  it('refuses with the check’s code and changes nothing; allowed again once the environment is right', async () => {
    const gw = gateway();
    const blobs = join(gw.dataDir, 'blobs');
    const config = loadAppConfig(gw.appConfig);
    let offset = 0;
    const client = new MedshareClient({ ...config.client, clock: () => Date.now() + offset });
    const [patient, doctor, pending, stranger] = [
      generateKeyPair(),
      generateKeyPair(),
      generateKeyPair(),
      generateKeyPair(),
    ];
    await client.register(patient, 'patient');
    await client.register(doctor, 'doctor');
    await client.register(pending, 'institution');
    const admin = adminTransport(config);
    await admin.post(`/v1/admin/users/${keyIdOf(doctor.publicKey)}/approve`, {});
    const [doctorId, pendingId] = [keyIdOf(doctor.publicKey), keyIdOf(pending.publicKey)];

    const { recordId } = await client.upload(patient, { content: utf8('{"note":"env"}'), kind: 'clinical-note' });
    const source = join(dir, 'scan.bin');
    writeFileSync(source, randomBytes(300_000));
    const file = await client.uploadFile(patient, source, { chunkBytes: 65_536 });
    await client.shareFile(patient, file.fileId, doctorId);

    /** What must not move: the record's audit trail, the doctor's grants and shares, the store (read on time). */
    const observer = new MedshareClient(config.client);
    const state = async (): Promise<unknown> => ({
      record: (await observer.audit(patient, recordId)).items.length,
      grants: (await observer.listGrants(doctor)).items.length,
      shared: (await observer.listSharedFiles(doctor)).items.map((i) => i.sharedAt),
      store: objects(blobs),
    });
    const refusals = async (expected: string, message: RegExp): Promise<void> => {
      const before = await state();
      const out = join(dir, `out-${expected}.bin`);
      for (const attempt of [
        () => client.grant(patient, recordId, doctorId),
        () => client.view(doctor, recordId),
        () => client.shareFile(patient, file.fileId, doctorId),
        () => client.downloadFile(doctor, file.fileId, out),
        () => client.downloadFile(patient, file.fileId, out),
      ])
        await expect(attempt()).rejects.toMatchObject({ code: expected, message: expect.stringMatching(message) });
      expect(existsSync(out)).toBe(false);
      expect(await state()).toEqual(before);
    };

    // app-version: the org's policy names versions above the SDK's own (0.1.0)
    expect(await admin.post('/v1/admin/app-policy', { minVersion: '9.0.0', denied: ['9.1.0'] })).toMatchObject({
      org: 'Org1MSP',
      minVersion: '9.0.0',
    });
    await refusals('APP_VERSION_REFUSED', /check app-version: app version 0\.1\.0 is below Org1MSP's minimum 9\.0\.0/);
    const newer = new MedshareClient({ ...config.client, appVersion: '9.0.1' });
    await expect(newer.view(patient, recordId)).resolves.toMatchObject({ recordId });
    const rebuilt = new MedshareClient({ ...config.client, appVersion: '9.1.0+rebuilt' });
    await expect(rebuilt.view(patient, recordId)).rejects.toMatchObject({
      code: 'APP_VERSION_REFUSED',
      message: expect.stringMatching(/denied/),
    });
    rebuilt.close();
    await admin.post('/v1/admin/app-policy', {});

    // clock-skew: the session was opened on time; the requests are then signed 90 s ahead
    await client.listRecords(patient);
    offset = 90_000;
    try {
      await refusals('CLOCK_SKEW', /check clock-skew: .*ahead/);
    } finally {
      offset = 0;
    }

    // receiver: a share to an institution no org admin approved, by both kinds of share
    const before = await state();
    await expect(client.shareFile(patient, file.fileId, pendingId)).rejects.toMatchObject({
      code: 'NOT_REGISTERED_DOCTOR',
    });
    const granted = client.grant(patient, recordId, pendingId);
    await expect(granted).rejects.toMatchObject({ code: 'NOT_REGISTERED_DOCTOR' });
    // keys-valid: a download by a key that was never registered
    await expect(client.downloadFile(stranger, file.fileId, join(dir, 's.bin'))).rejects.toMatchObject({
      code: 'NOT_REGISTERED',
      message: expect.stringMatching(/check keys-valid: /),
    });
    expect(await state()).toEqual(before);

    // and with everything in order, the same share and download go through
    await client.grant(patient, recordId, doctorId);
    const got = join(dir, 'doctor.bin');
    await client.downloadFile(doctor, file.fileId, got);
    expect(readFileSync(got).equals(readFileSync(source))).toBe(true);

    // login with the CLI: a key file, no password; the assertion verifies offline
    const keyFile = join(dir, 'doctor.key');
    writeFileSync(keyFile, JSON.stringify(await encryptKeyFile(doctor.privateKey, PASSPHRASE)));
    const env = { ...process.env, MEDSHARE_APP_CONFIG: gw.appConfig, MEDSHARE_PASSPHRASE: PASSPHRASE };
    const { stdout } = await run(process.execPath, [CLI, 'login', '--key', keyFile, '--json'], { env });
    const assertion = verifyLoginAssertion(JSON.parse(stdout), {
      trustedAccessKeys: config.client.trustedAccessKeys,
      now: Date.now(),
      appId: config.client.appId,
    });
    expect(assertion).toMatchObject({ keyId: doctorId, role: 'doctor', gatewayOrg: 'Org1MSP' });
    const pendingKey = join(dir, 'pending.key');
    writeFileSync(pendingKey, JSON.stringify(await encryptKeyFile(pending.privateKey, PASSPHRASE)));
    await expect(run(process.execPath, [CLI, 'login', '--key', pendingKey], { env })).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/NOT_APPROVED/),
    });
    admin.close();
    newer.close();
    observer.close();
    client.close();
  }, 180_000);
});
