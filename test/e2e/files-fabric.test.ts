// SPDX-License-Identifier: Apache-2.0
/**
 * Large files on the real Fabric network (issue #13): each org's gateway is a re-encryption proxy
 * and org1's hosts a third by configuration, all registered by their org's admin with
 * scripts/admin/register-proxy.sh; both gateways keep their files in one SeaweedFS bucket
 * (globalSetup started it; .storage/s3.env). A patient uploads through org1's gateway and shares
 * 2-of-3 with a doctor of org2, who downloads through org2's gateway: its own proxy re-encrypts
 * there, org1's two are asked over POST /v1/proxy/reencrypt with org2's K3. Tampered objects are
 * refused before any plaintext is written, a revoke makes the proxies of both orgs refuse, and
 * every refusal leaves the ledger (descriptor, lists, the owner's audit notifications) and the
 * bucket as they were. Alone: npm run jest -- test/e2e/files-fabric.test.ts --selectProjects e2e
 */
import fs, {
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
  type WriteStream,
} from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromHex, toHex } from '@medshare/crypto/bytes';
import { generateKeyPair, privateKeyFromPem, publicKeyFromPrivate } from '@medshare/crypto/sm2';
import { sm3 } from '@medshare/crypto/sm3';
import { decodeCapsule, decodeCapsuleFragment, decodePoint, verifyCapsuleFragment } from '@medshare/crypto/tpre';
import { httpsTransport, type ProxyListEntry, type Transport, type UserKey } from '@medshare/app';
import {
  PROTOCOL_VERSION,
  compressedPublicKey,
  fileReEncryptContext,
  keyIdOf,
  signFor,
  type DeliveredEvent,
  type ProxyReEncryptRequest,
} from '@medshare/protocol';
import { admin, assertNetworkReady, startAlliance, stopHospital, type Hospital } from './support/hospital';
import { S3_ENV_FILE, rawBucket } from './support/local-s3';

assertNetworkReady();

const MiB = 1024 * 1024;
const digest = (bytes: Uint8Array): string => toHex(sm3(bytes));

/** A gateway's K3 from its layout's folder (the signing key a peer request is made with). */
function k3Of(h: Hospital): { privateKey: string; publicKey: string; keyId: string } {
  const privateKey = privateKeyFromPem(readFileSync(join(h.dir, 'gateway', 'k3.pem'), 'utf8'));
  const publicKey = publicKeyFromPrivate(privateKey);
  return { privateKey, publicKey, keyId: keyIdOf(publicKey) };
}

describe("large files on the Fabric network: each org's gateway a proxy, one S3 bucket", () => {
  const bucket = rawBucket();
  const patient: UserKey = generateKeyPair();
  const doctor: UserKey = generateKeyPair();
  const doctorId = keyIdOf(doctor.publicKey);
  let h1: Hospital | undefined;
  let h2: Hospital | undefined;
  let dir = '';
  let plaintext = Buffer.alloc(0);
  let fileId = '';
  let root = '';
  let shareId = '';
  /** This run's three proxies as the ledger lists them: org1's two, then org2's. */
  let proxies: ProxyListEntry[] = [];

  const one = (): Hospital => h1 as Hospital;
  const two = (): Hospital => h2 as Hospital;
  const { keys, get: object, put } = bucket;

  /** What the ledger and the bucket hold of this file: a refusal must leave all of it as it was. */
  const snapshot = async (): Promise<unknown> => ({
    descriptor: await one().client.getFile(patient, fileId),
    files: (await one().client.listFiles(patient)).items,
    shared: (await two().client.listSharedFiles(doctor)).items,
    objects: await keys(`files/${root}`),
    content: digest(await object(`files/${root}`)),
    leaves: digest(await object(`files/${root}.leaves`)),
    staging: await keys('staging/'),
  });

  /** A K3-signed proxy request (docs/protocol.md §17, step 4) as a peer gateway makes it. */
  const proxyRequest = (
    signer: { privateKey: string; publicKey: string; keyId: string },
    fields: Partial<Omit<ProxyReEncryptRequest, 'sig'>> = {},
  ): ProxyReEncryptRequest => {
    const signed = {
      v: PROTOCOL_VERSION,
      fileId,
      receiverKeyId: doctorId,
      proxyId: (proxies[0] as ProxyListEntry).proxyId,
      org: 'Org2MSP',
      issuedAt: Date.now(),
      k3Id: signer.keyId,
      ...fields,
    };
    return { ...signed, sig: signFor('proxy-request', signer, signed) };
  };
  const transports: Transport[] = [];
  const gatewayOf = (h: Hospital): Transport => {
    const t = httpsTransport({ baseUrl: h.layout.gatewayUrl, ca: readFileSync(h.layout.tlsCertFile) });
    transports.push(t);
    return t;
  };

  beforeAll(async () => {
    ({ h1, h2 } = await startAlliance({ s3EnvFile: S3_ENV_FILE }));
    dir = mkdtempSync(join(tmpdir(), 'medshare-files-fabric-'));
    await one().client.register(patient, 'patient');
    expect(await two().client.register(doctor, 'doctor')).toMatchObject({ status: 'pending', org: 'Org2MSP' });
    expect((await admin('approve-user.sh', 'org2', doctorId)).code).toBe(0);
  }, 180_000);

  afterAll(async () => {
    for (const t of transports) t.close();
    bucket.close();
    // Each hospital's proxies are retired on the ledger as it stops (retire-proxy.sh).
    await Promise.all([stopHospital(h1), stopHospital(h2)]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it('org1 hosts two proxies and org2 one, registered by their admins; both gateways list all three', async () => {
    const mine = [...one().layout.proxies, ...two().layout.proxies];
    expect(mine).toHaveLength(3);
    const listed = await two().client.listProxies();
    proxies = mine.map((p) => listed.find((l) => l.proxyId === p.proxyId) as ProxyListEntry);
    expect(proxies.map((p) => p.org)).toEqual(['Org1MSP', 'Org1MSP', 'Org2MSP']);
    expect((await one().client.listProxies()).filter((l) => mine.some((p) => p.proxyId === l.proxyId))).toHaveLength(3);
    // Each gateway compared its hosted proxies with the ledger at start: none unregistered.
    for (const h of [one(), two()]) expect(h.output()).not.toContain('proxy is not registered');
  });

  it("a patient uploads a few MiB through org1's gateway; the shared bucket holds its ciphertext only", async () => {
    const source = join(dir, 'scan.bin');
    plaintext = randomBytes(4 * MiB + 777);
    writeFileSync(source, plaintext);
    const staging = await keys('staging/');
    const up = await one().client.uploadFile(patient, source, { mediaType: 'application/dicom', chunkBytes: MiB });
    expect(up).toMatchObject({ size: plaintext.length, chunks: 5 });
    ({ fileId, root } = up);
    expect(await keys(`files/${root}`)).toEqual([`files/${root}`, `files/${root}.leaves`]);
    expect(await keys('staging/')).toEqual(staging);
    const stored = await object(`files/${root}`);
    expect(stored.length).toBe(plaintext.length);
    expect(stored.includes(plaintext.subarray(MiB, MiB + 64))).toBe(false);
    expect((await one().client.listFiles(patient)).items.map((i) => i.fileId)).toEqual([fileId]);
  }, 120_000);

  it("shares 2-of-3 with the org2 doctor, who downloads through org2's gateway: its own proxy and org1's two over POST /v1/proxy/reencrypt", async () => {
    const share = await one().client.shareFile(patient, fileId, doctorId, { threshold: 2, proxies });
    expect(share).toMatchObject({ fileId, receiverKeyId: doctorId, threshold: 2 });
    shareId = share.shareId;
    expect((await two().client.listSharedFiles(doctor)).items.map((i) => i.fileId)).toEqual([fileId]);
    // All three served: org2's hosted proxy here, org1's two through org1's gateway (peers).
    const opened = await two().client.openSharedFileKey(doctor, fileId);
    expect(opened.failures).toEqual([]);
    expect(opened.capsuleFragments).toHaveLength(2);

    const out = join(dir, 'doctor.bin');
    const down = await two().client.downloadFile(doctor, fileId, out);
    expect(digest(readFileSync(out))).toBe(digest(plaintext));
    expect(down.proxies).toHaveLength(2);
    for (const p of down.proxies) expect(proxies.map((q) => q.proxyId)).toContain(p);
  }, 120_000);

  it("org1's proxy answers org2's K3-signed request with a fragment that verifies; an unknown, foreign, stale, forged or misdirected request is refused", async () => {
    const to1 = gatewayOf(one());
    const k3 = k3Of(two());
    const descriptor = await one().client.getFile(patient, fileId);
    const served = (await to1.post('/v1/proxy/reencrypt', proxyRequest(k3))) as {
      proxyId: string;
      capsuleFragment: string;
    };
    expect(served.proxyId).toBe(proxies[0]?.proxyId);
    const verified = verifyCapsuleFragment(
      decodeCapsuleFragment(fromHex(served.capsuleFragment)),
      decodeCapsule(fromHex(descriptor.capsule)),
      decodePoint(fromHex(descriptor.delegatingKey), 'A'),
      decodePoint(compressedPublicKey(doctor.publicKey), 'B'),
      fileReEncryptContext(fileId, doctorId, shareId),
    );
    expect(verified).toBe(true);

    const before = await snapshot();
    const stranger = generateKeyPair();
    const strangerKey = { ...stranger, keyId: keyIdOf(stranger.publicKey) };
    const refusals: [unknown, string][] = [
      [proxyRequest(strangerKey), 'UNKNOWN_ACCESS_KEY'],
      // org2's K3 is not one of Org1MSP's keys on the ledger
      [proxyRequest(k3, { org: 'Org1MSP' }), 'UNKNOWN_ACCESS_KEY'],
      [proxyRequest(k3, { issuedAt: Date.now() - 5 * 60_000 }), 'REQUEST_EXPIRED'],
      [{ ...proxyRequest(k3), receiverKeyId: keyIdOf(stranger.publicKey) }, 'SIG3_INVALID'],
      // org1's gateway does not host org2's proxy
      [proxyRequest(k3, { proxyId: (proxies[2] as ProxyListEntry).proxyId }), 'PROXY_NOT_FOUND'],
    ];
    for (const [body, code] of refusals)
      await expect(to1.post('/v1/proxy/reencrypt', body)).rejects.toMatchObject({ code });
    expect(await snapshot()).toEqual(before);
  }, 120_000);

  it('a tampered stored chunk, or tampered leaves, are refused with INTEGRITY_FAILED before any plaintext is written', async () => {
    const before = await snapshot();
    const content = await object(`files/${root}`);
    const leaves = await object(`files/${root}.leaves`);
    const sinks = jest.spyOn(fs, 'createWriteStream');
    try {
      // One bit of the first chunk: its leaf check fails before a single byte is decrypted.
      const tampered = Buffer.from(content);
      tampered[5] = (tampered[5] ?? 0) ^ 0x01;
      await put(`files/${root}`, tampered);
      const out = join(dir, 'tampered.bin');
      await expect(two().client.downloadFile(doctor, fileId, out)).rejects.toMatchObject({ code: 'INTEGRITY_FAILED' });
      const partials = sinks.mock.results
        .map((r) => r.value as WriteStream)
        .filter((s) => String(s.path).startsWith(out));
      expect(partials).toHaveLength(1);
      expect(partials[0]?.bytesWritten).toBe(0);

      // One bit of a leaf: the leaves no longer give the ledger's root, and no output is even opened.
      await put(`files/${root}`, content);
      sinks.mockClear();
      const badLeaves = Buffer.from(leaves);
      badLeaves[40] = (badLeaves[40] ?? 0) ^ 0x80;
      await put(`files/${root}.leaves`, badLeaves);
      await expect(two().client.downloadFile(doctor, fileId, join(dir, 'leaves.bin'))).rejects.toMatchObject({
        code: 'INTEGRITY_FAILED',
      });
      expect(sinks).not.toHaveBeenCalled();
    } finally {
      sinks.mockRestore();
      await put(`files/${root}`, content);
      await put(`files/${root}.leaves`, leaves);
    }
    expect(readdirSync(dir).sort()).toEqual(['doctor.bin', 'scan.bin']);
    // The views were committed before the bytes were read (audit first): the accesses are on record,
    // the descriptor and the objects (restored) are as they were.
    expect(await snapshot()).toEqual(before);
  }, 120_000);

  it("a revoke: the proxies of both orgs refuse, the doctor's next download fails with SHARE_NOT_FOUND and nothing changes", async () => {
    expect(await one().client.revokeFile(patient, fileId, doctorId)).toMatchObject({ fileId, receiverKeyId: doctorId });
    const before = await snapshot();
    expect((before as { shared: unknown[] }).shared).toEqual([]);
    // org1's proxy asked by org2's gateway key, org2's proxy asked by org1's: both read the revoked share.
    await expect(gatewayOf(one()).post('/v1/proxy/reencrypt', proxyRequest(k3Of(two())))).rejects.toMatchObject({
      code: 'SHARE_NOT_FOUND',
    });
    const toOrg2 = proxyRequest(k3Of(one()), { proxyId: (proxies[2] as ProxyListEntry).proxyId, org: 'Org1MSP' });
    await expect(gatewayOf(two()).post('/v1/proxy/reencrypt', toOrg2)).rejects.toMatchObject({
      code: 'SHARE_NOT_FOUND',
    });
    const out = join(dir, 'revoked.bin');
    await expect(two().client.downloadFile(doctor, fileId, out)).rejects.toMatchObject({ code: 'SHARE_NOT_FOUND' });
    expect(existsSync(out)).toBe(false);
    await expect(two().client.openSharedFileKey(doctor, fileId)).rejects.toMatchObject({ code: 'SHARE_NOT_FOUND' });
    await expect(one().client.revokeFile(patient, fileId, doctorId)).rejects.toMatchObject({ code: 'SHARE_NOT_FOUND' });
    expect(await snapshot()).toEqual(before);
  }, 120_000);

  it('a share naming an unregistered proxy, or one its admin retired, is refused (PROXY_NOT_FOUND) and writes nothing', async () => {
    const before = await snapshot();
    const unknown = generateKeyPair().publicKey;
    const fake = { proxyId: keyIdOf(unknown), publicKey: unknown, org: 'Org1MSP', registeredAt: 0 };
    await expect(
      one().client.shareFile(patient, fileId, doctorId, { proxies: [proxies[0] as ProxyListEntry, fake] }),
    ).rejects.toMatchObject({ code: 'PROXY_NOT_FOUND' });
    const third = proxies[1] as ProxyListEntry;
    const retired = await admin('retire-proxy.sh', 'org1', third.proxyId);
    expect(retired.code).toBe(0);
    const entry = retired.stdout.split('\n').find((line) => line.startsWith('{')) ?? '{}';
    expect(JSON.parse(entry)).toMatchObject({ proxyId: third.proxyId, org: 'Org1MSP', retiredAt: expect.any(Number) });
    await expect(one().client.shareFile(patient, fileId, doctorId, { proxies })).rejects.toMatchObject({
      code: 'PROXY_NOT_FOUND',
    });
    expect(await snapshot()).toEqual(before);
  }, 120_000);

  it("the owner's audit notifications name exactly the accesses that happened, each by the org that served it", async () => {
    // A last audited access, the owner's own download (no proxies): every event before it is final.
    const own = join(dir, 'owner.bin');
    await one().client.downloadFile(patient, fileId, own);
    expect(digest(readFileSync(own))).toBe(digest(plaintext));
    const events: DeliveredEvent[] = [];
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), 30_000);
    try {
      for await (const e of one().client.events(patient, { signal: controller.signal })) {
        if (e.recordId === fileId) events.push(e);
        if (events.length === 7) controller.abort();
      }
    } catch (error) {
      if (!controller.signal.aborted) throw error;
    } finally {
      clearTimeout(timer);
    }
    // upload, share, the doctor's download, the two tampered downloads (the accesses happened:
    // audit first), revoke, the owner's download; no refusal left a trace.
    expect(events.map((e) => [e.action, e.org])).toEqual([
      ['file-upload', 'Org1MSP'],
      ['file-share', 'Org1MSP'],
      ['file-view', 'Org2MSP'],
      ['file-view', 'Org2MSP'],
      ['file-view', 'Org2MSP'],
      ['file-revoke', 'Org1MSP'],
      ['file-view', 'Org1MSP'],
    ]);
  }, 60_000);

  it("the admin scripts: register-proxy is idempotent and refuses another org's key; retire-proxy only for its own org", async () => {
    const [first] = proxies as [ProxyListEntry];
    const listed = await one().client.listProxies();
    const again = await admin('register-proxy.sh', 'org1', first.publicKey);
    expect(again).toMatchObject({ code: 0, stdout: expect.stringContaining('nothing to do') });
    expect(await admin('register-proxy.sh', 'org2', first.publicKey)).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('ALREADY_REGISTERED'),
    });
    expect(await admin('retire-proxy.sh', 'org2', first.proxyId)).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('NOT_ORG_ADMIN'),
    });
    expect(await admin('retire-proxy.sh', 'org1', 'ab'.repeat(32))).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('PROXY_NOT_FOUND'),
    });
    expect((await admin('register-proxy.sh', 'org1', '04zz')).code).toBe(2);
    expect(await one().client.listProxies()).toEqual(listed);
  }, 120_000);
});
