// SPDX-License-Identifier: Apache-2.0
import { randomBytes } from 'node:crypto';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fromHex } from '@medshare/crypto/bytes';
import { generateKeyPair, privateKeyToPem, type Sm2KeyPair } from '@medshare/crypto/sm2';
import { decodeCapsule, decodeCapsuleFragment, decodePoint, verifyCapsuleFragment } from '@medshare/crypto/tpre';
import {
  compressedPublicKey,
  fileReEncryptContext,
  httpStatusOf,
  keyIdOf,
  signFor,
  type ErrorCode,
  type ProxyReEncryptRequest,
} from '@medshare/protocol';
import type { LightMyRequestResponse } from 'fastify';
import type { LedgerBackend } from '../../ledger/backend';
import { ProxyKey } from '../../proxy/proxy';
import { GatewayFixture, ORG, ledgerWith, party } from '../../testing/fixture';

/** A ledger whose GetShareForProxy answers can be altered (a corrupted or hostile ledger's). */
function alterable(alter: {
  share?: (share: Record<string, unknown>) => Record<string, unknown>;
}): (inner: LedgerBackend) => LedgerBackend {
  return (inner) =>
    ledgerWith(inner, {
      getShareForProxy: async (f, r, p) => {
        const raw = await inner.getShareForProxy(f, r, p);
        return alter.share ? JSON.stringify(alter.share(JSON.parse(raw) as Record<string, unknown>)) : raw;
      },
    });
}

type Unsigned = Omit<ProxyReEncryptRequest, 'sig'>;

describe('POST /v1/proxy/reencrypt (a peer gateway asks a proxy hosted here)', () => {
  const proxies = [0, 1, 2].map(() => ProxyKey.fromPem(privateKeyToPem(generateKeyPair().privateKey)));
  const alter: { share?: (share: Record<string, unknown>) => Record<string, unknown> } = {};
  let f: GatewayFixture;
  let k3: Sm2KeyPair;
  const patient = party();
  const doctor = party();
  const stranger = party();
  let fileId: string;
  let shareId: string;
  let descriptor: { capsule: string; delegatingKey: string };

  beforeAll(async () => {
    f = await GatewayFixture.create({ files: { proxies }, ledger: alterable(alter) });
    k3 = f.keys.k3[0] as Sm2KeyPair;
    const client = f.client();
    await client.register(patient, 'patient');
    for (const d of [doctor, stranger]) {
      await client.register(d, 'doctor');
      const approved = await f.app.inject({
        method: 'POST',
        url: `/v1/admin/users/${d.keyId}/approve`,
        headers: { authorization: `Bearer ${f.adminToken}` },
      });
      expect(approved.statusCode).toBe(200);
    }
    const source = join(f.dir, 'scan.bin');
    writeFileSync(source, randomBytes(20_000));
    const up = await client.uploadFile(patient, source, { mediaType: 'application/dicom', chunkBytes: 4096 });
    fileId = up.fileId;
    shareId = (await client.shareFile(patient, fileId, doctor.keyId, { threshold: 2 })).shareId;
    descriptor = await client.getFile(patient, fileId);
  });
  afterAll(() => f.close());

  const request = (fields: Partial<Unsigned> = {}, signer: Sm2KeyPair = k3): ProxyReEncryptRequest => {
    const signed: Unsigned = {
      v: 1,
      fileId,
      receiverKeyId: doctor.keyId,
      proxyId: (proxies[0] as ProxyKey).proxyId,
      org: ORG,
      issuedAt: f.now,
      k3Id: keyIdOf(k3.publicKey),
      ...fields,
    };
    return { ...signed, sig: signFor('proxy-request', signer, signed) };
  };
  const post = (payload: unknown): Promise<LightMyRequestResponse> =>
    f.app.inject({
      method: 'POST',
      url: '/v1/proxy/reencrypt',
      headers: { 'content-type': 'application/json' },
      payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
    });
  const blobs = (): string[] => readdirSync(join(f.dir, 'blobs'), { recursive: true }).map(String).sort();

  /** Refused with `code` (and its status), no fragment in the answer, the ledger and the store untouched. */
  async function refused(payload: unknown, code: ErrorCode): Promise<string> {
    const ledger = f.snapshot();
    const stored = blobs();
    const res = await post(payload);
    const body = res.json<{ code: string; message: string }>();
    expect({ status: res.statusCode, code: body.code }).toEqual({ status: httpStatusOf(code), code });
    // The error body only: {code, message} (and the evaluation's txId for a ledger refusal).
    expect(Object.keys(body).filter((k) => k !== 'txId')).toEqual(['code', 'message']);
    expect(res.body).not.toMatch(/capsuleFragment/);
    expect(f.snapshot()).toBe(ledger);
    expect(blobs()).toEqual(stored);
    return body.message;
  }

  it('answers a fresh request signed by a registered K3 with a fragment the receiver verifies', async () => {
    const ledger = f.snapshot();
    for (const proxy of proxies.slice(0, 2)) {
      const res = await post(request({ proxyId: proxy.proxyId }));
      expect(res.statusCode).toBe(200);
      const answer = res.json<{ proxyId: string; capsuleFragment: string }>();
      expect(Object.keys(answer).sort()).toEqual(['capsuleFragment', 'proxyId']);
      expect(answer.proxyId).toBe(proxy.proxyId);
      const ok = verifyCapsuleFragment(
        decodeCapsuleFragment(fromHex(answer.capsuleFragment)),
        decodeCapsule(fromHex(descriptor.capsule)),
        decodePoint(fromHex(descriptor.delegatingKey), 'A'),
        decodePoint(compressedPublicKey(doctor.publicKey), 'B'),
        fileReEncryptContext(fileId, doctor.keyId, shareId),
      );
      expect(ok).toBe(true);
    }
    // Serving is an evaluation: nothing is written.
    expect(f.snapshot()).toBe(ledger);
  });

  it('refuses an unsigned request and a malformed one (INVALID_INPUT)', async () => {
    const { sig: _sig, ...unsigned } = request();
    await refused(unsigned, 'INVALID_INPUT');
    await refused({ ...request(), sig: '' }, 'INVALID_INPUT');
    await refused({ ...request(), extra: true }, 'INVALID_INPUT');
    await refused({ ...request(), fileId: 'FF'.repeat(32) }, 'INVALID_INPUT');
    await refused({ ...request(), v: 2 }, 'INVALID_INPUT');
    await refused('{"v": 1, "fileId": ', 'INVALID_INPUT');
  });

  it('refuses a signature that is not the named K3’s, or a member changed after signing (SIG3_INVALID)', async () => {
    await refused(request({}, generateKeyPair()), 'SIG3_INVALID');
    await refused({ ...request(), proxyId: (proxies[1] as ProxyKey).proxyId }, 'SIG3_INVALID');
    await refused({ ...request(), receiverKeyId: stranger.keyId }, 'SIG3_INVALID');
  });

  it('refuses a K3 the ledger does not have for that org, and one outside its window', async () => {
    const other = generateKeyPair();
    expect(await refused(request({ k3Id: keyIdOf(other.publicKey) }, other), 'UNKNOWN_ACCESS_KEY')).toMatch(
      /not registered/,
    );
    await refused(request({ org: 'Org2MSP' }), 'UNKNOWN_ACCESS_KEY');
    const now = f.now;
    try {
      f.now = (f.keys.k3[0] as { notAfter: number }).notAfter + 1000;
      await refused(request(), 'ACCESS_KEY_NOT_VALID');
    } finally {
      f.now = now;
    }
  });

  it('refuses a request more than 60 s old or ahead (REQUEST_EXPIRED)', async () => {
    await refused(request({ issuedAt: f.now - 60_001 }), 'REQUEST_EXPIRED');
    await refused(request({ issuedAt: f.now + 60_001 }), 'REQUEST_EXPIRED');
  });

  it('refuses a proxy this gateway does not host (PROXY_NOT_FOUND)', async () => {
    const elsewhere = ProxyKey.fromPem(privateKeyToPem(generateKeyPair().privateKey));
    expect(await refused(request({ proxyId: elsewhere.proxyId }), 'PROXY_NOT_FOUND')).toMatch(/does not host/);
  });

  it('refuses a receiver the ledger shows no share to, and an unknown file (SHARE_NOT_FOUND, FILE_NOT_FOUND)', async () => {
    await refused(request({ receiverKeyId: stranger.keyId }), 'SHARE_NOT_FOUND');
    await refused(request({ fileId: 'ab'.repeat(32) }), 'FILE_NOT_FOUND');
  });

  it('refuses a share whose capsule on the ledger is malformed (INVALID_INPUT), re-encrypting nothing', async () => {
    alter.share = (share) => ({ ...share, capsule: `${String(share.capsule).slice(0, -2)}zz` });
    try {
      await refused(request(), 'INVALID_INPUT');
      alter.share = (share) => ({ ...share, capsule: `03${'ff'.repeat(32)}${String(share.capsule).slice(66)}` });
      expect(await refused(request(), 'INVALID_INPUT')).toMatch(/capsule/);
    } finally {
      alter.share = undefined;
    }
  });

  it('refuses the same signed request a second time (NONCE_REPLAYED)', async () => {
    const once = request({ proxyId: (proxies[2] as ProxyKey).proxyId });
    expect((await post(once)).statusCode).toBe(200);
    await refused(once, 'NONCE_REPLAYED');
    // A new request for the same fragment (new issuedAt and signature) is served.
    f.now += 1;
    expect((await post(request({ proxyId: (proxies[2] as ProxyKey).proxyId }))).statusCode).toBe(200);
  });

  it('refuses a revoked share (SHARE_NOT_FOUND)', async () => {
    expect((await post(request())).statusCode).toBe(200);
    await f.client().revokeFile(patient, fileId, doctor.keyId);
    await refused(request(), 'SHARE_NOT_FOUND');
  });
});
