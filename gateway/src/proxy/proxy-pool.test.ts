// SPDX-License-Identifier: Apache-2.0
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromHex, toHex } from '@medshare/crypto/bytes';
import { encrypt, generateKeyPair as sm2KeyPair, privateKeyToPem } from '@medshare/crypto/sm2';
import {
  decapsulateFragments,
  decodeCapsuleFragment,
  decodePoint,
  encapsulate,
  encodeCapsule,
  encodeCapsuleFragment,
  encodeKeyFragment,
  encodePoint,
  generateKeyFragments,
  generateKeyPair,
  reEncrypt,
  verifyCapsuleFragment,
  type KeyFragment,
} from '@medshare/crypto/tpre';
import {
  MedshareError,
  compressedPublicKey,
  fileReEncryptContext,
  httpStatusOf,
  keyIdOf,
  verifyFor,
  type FileFragmentsAttachment,
  type FileFragmentsResult,
} from '@medshare/protocol';
import { selfSignedCertificate } from '../dev/first-run';
import type { LedgerBackend } from '../ledger/backend';
import { ProxyKey } from './proxy';
import { ProxyPool } from './proxy-pool';

const ORG = 'Org1MSP';
const PEER_ORG = 'Org2MSP';
const hex32 = (byte: number): string => byte.toString(16).padStart(2, '0').repeat(32);
const now = Date.UTC(2026, 11, 1, 12, 0, 0);

// One file key, shared 2-of-3 with a receiver over three proxies: P0 hosted by the asking gateway,
// P1 and P2 by two peer gateways.
const k3Pair = sm2KeyPair();
const k3 = { ...k3Pair, keyId: keyIdOf(k3Pair.publicKey) };
const keys = [0, 1, 2].map(() => ProxyKey.fromPem(privateKeyToPem(sm2KeyPair().privateKey)));
const receiver = sm2KeyPair();
const receiverKeyId = keyIdOf(receiver.publicKey);
const B = decodePoint(compressedPublicKey(receiver.publicKey), 'receiver');
const delegating = generateKeyPair();
const { capsule, key: fileKey } = encapsulate(delegating.publicKey);
const kfrags = generateKeyFragments(delegating, B, 2, 3);
const fileId = hex32(1);
const shareId = hex32(2);
const context = fileReEncryptContext(fileId, receiverKeyId, shareId);
const share: FileFragmentsResult = {
  fileId,
  receiverKeyId,
  receiverPublicKey: receiver.publicKey,
  capsule: toHex(encodeCapsule(capsule)),
  delegatingKey: toHex(encodePoint(delegating.publicKey)),
  threshold: 2,
  shareId,
  context: toHex(context),
  proxies: keys.map((k, i) => ({
    proxyId: k.proxyId,
    publicKey: k.publicKey,
    org: i === 0 ? ORG : PEER_ORG,
    fragmentId: toHex((kfrags[i] as KeyFragment).id),
    sealedFragment: toHex(encrypt(k.publicKey, encodeKeyFragment(kfrags[i] as KeyFragment))),
  })),
};
const [P0, P1, P2] = keys.map((k) => k.proxyId) as [string, string, string];

/** What a peer's ledger answers: the asking org's K3, and GetShareForProxy of this share. */
const peerLedger = {
  listAccessKeys: (org: string) =>
    Promise.resolve(
      JSON.stringify(
        org === ORG
          ? [{ keyId: k3.keyId, publicKey: k3.publicKey, org, notBefore: now - 86_400_000, notAfter: now + 86_400_000 }]
          : [],
      ),
    ),
  getShareForProxy: (_fileId: string, _receiver: string, proxyId: string) => {
    const { proxies, ...fields } = share;
    const p = proxies.find((x) => x.proxyId === proxyId);
    if (!p) return Promise.reject(new MedshareError({ code: 'PROXY_NOT_FOUND', message: 'not in the share' }));
    return Promise.resolve(
      JSON.stringify({
        ...fields,
        proxyId,
        proxyPublicKey: p.publicKey,
        fragmentId: p.fragmentId,
        sealedFragment: p.sealedFragment,
      }),
    );
  },
} as unknown as LedgerBackend;

type Mode = 'serve' | 'refuse' | 'bad-fragment' | 'other-proxy' | 'not-json' | 'too-large';

/** A peer gateway: `POST /v1/proxy/reencrypt` answered by its own pool (hosting `key`) or misbehaving as `mode` says. */
class Peer {
  mode: Mode = 'serve';
  readonly requests: Record<string, unknown>[] = [];
  readonly server: Server;
  readonly #pool: ProxyPool;
  readonly #key: ProxyKey;

  constructor(key: ProxyKey, tls: { cert: Buffer; key: Buffer }) {
    this.#key = key;
    this.#pool = new ProxyPool({
      hosted: [key],
      peers: [],
      ledger: peerLedger,
      org: PEER_ORG,
      signer: () => {
        throw new Error('a peer here never asks');
      },
      clock: () => now,
    });
    this.server = createServer(tls, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
        this.requests.push(body);
        this.#answer(body).then(
          ([status, text]) => res.writeHead(status, { 'content-type': 'application/json' }).end(text),
          () => res.writeHead(500).end(),
        );
      });
    });
  }

  async #answer(body: Record<string, unknown>): Promise<[number, string]> {
    const own = this.#key.proxyId;
    const fragment = (ctx: Uint8Array): string => {
      const kfrag = kfrags[keys.indexOf(this.#key)] as KeyFragment;
      return toHex(encodeCapsuleFragment(reEncrypt(kfrag, capsule, ctx)));
    };
    switch (this.mode) {
      case 'serve':
        try {
          return [200, JSON.stringify(await this.#pool.serveRequest(body))];
        } catch (error) {
          const e = error as MedshareError;
          return [httpStatusOf(e.code), JSON.stringify({ code: e.code, message: e.detail })];
        }
      case 'refuse':
        return [404, JSON.stringify({ code: 'SHARE_NOT_FOUND', message: 'no current share of that file to that key' })];
      case 'bad-fragment':
        // Well formed, from this proxy's key fragment, but under another share's context.
        return [
          200,
          JSON.stringify({
            proxyId: own,
            capsuleFragment: fragment(fileReEncryptContext(fileId, receiverKeyId, hex32(9))),
          }),
        ];
      case 'other-proxy':
        return [200, JSON.stringify({ proxyId: P0, capsuleFragment: fragment(context) })];
      case 'not-json':
        return [200, 'a fragment, honestly'];
      case 'too-large':
        return [200, JSON.stringify({ proxyId: own, capsuleFragment: 'ab'.repeat(10_000) })];
    }
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `https://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
}

const verifies = (hex: string): boolean =>
  verifyCapsuleFragment(decodeCapsuleFragment(fromHex(hex)), capsule, delegating.publicKey, B, context);

/** The file key from capsule fragments (hex), as the receiver opens it (t = 2). */
const opened = (fragments: readonly string[]): string =>
  toHex(
    decapsulateFragments(
      { secret: BigInt(`0x${receiver.privateKey}`), publicKey: B },
      delegating.publicKey,
      capsule,
      fragments.map((f) => decodeCapsuleFragment(fromHex(f))),
      2,
      context,
    ),
  );

const byProxy = (a: FileFragmentsAttachment): Record<string, string> =>
  Object.fromEntries(a.capsuleFragments.map((c) => [c.proxyId, c.capsuleFragment]));
const failures = (a: FileFragmentsAttachment): Record<string, string> =>
  Object.fromEntries(a.failures.map((f) => [f.proxyId, f.code]));

describe('ProxyPool: the capsule fragments of a share, from hosted proxies and peer gateways', () => {
  const dir = mkdtempSync(join(tmpdir(), 'medshare-proxy-pool-'));
  selfSignedCertificate(dir);
  const tls = { cert: readFileSync(join(dir, 'cert.pem')), key: readFileSync(join(dir, 'key.pem')) };
  const peers = [new Peer(keys[1] as ProxyKey, tls), new Peer(keys[2] as ProxyKey, tls)] as const;
  let pool: ProxyPool;
  let closedUrl: string;

  beforeAll(async () => {
    const [u1, u2] = await Promise.all(peers.map((p) => p.listen()));
    // A peer whose gateway is down: a port that was listening and is closed again.
    const gone = new Peer(keys[2] as ProxyKey, tls);
    closedUrl = await gone.listen();
    await new Promise((resolve) => gone.server.close(resolve));
    pool = new ProxyPool({
      hosted: [keys[0] as ProxyKey],
      peers: [
        { proxyId: P1, url: u1 as string, caFile: join(dir, 'cert.pem') },
        { proxyId: P2, url: u2 as string, caFile: join(dir, 'cert.pem') },
      ],
      ledger: {} as LedgerBackend,
      org: ORG,
      signer: () => k3,
      clock: () => now,
    });
  });
  beforeEach(() => {
    for (const p of peers) {
      p.mode = 'serve';
      p.requests.length = 0;
    }
  });
  afterAll(async () => {
    await Promise.all(peers.map((p) => new Promise((resolve) => p.server.close(resolve))));
    rmSync(dir, { recursive: true, force: true });
  });

  it("asks every proxy of the share once: the hosted one here, each peer's at its gateway with a K3-signed request", async () => {
    const served = await pool.serveShare(share);
    expect(served.failures).toEqual([]);
    expect(served.capsuleFragments.map((c) => c.proxyId)).toEqual([P0, P1, P2]);
    expect(served.capsuleFragments.every((c) => verifies(c.capsuleFragment))).toBe(true);
    // Each peer was asked once, for its own proxy, signed by this gateway's K3 and naming its org.
    for (const [peer, proxyId] of [
      [peers[0], P1],
      [peers[1], P2],
    ] as const) {
      expect(peer.requests).toHaveLength(1);
      const { sig, ...signed } = peer.requests[0] as { sig: string };
      expect(signed).toEqual({ v: 1, fileId, receiverKeyId, proxyId, org: ORG, issuedAt: now, k3Id: k3.keyId });
      expect(verifyFor('proxy-request', k3.publicKey, signed, sig)).toBe(true);
    }
  });

  it('serves t-of-n: any two of the three fragments open the file key, one does not', async () => {
    const f = byProxy(await pool.serveShare(share));
    const key = toHex(fileKey);
    for (const pair of [
      [P0, P1],
      [P1, P2],
      [P2, P0],
    ])
      expect(opened(pair.map((p) => f[p] as string))).toBe(key);
    expect(() => opened([f[P1] as string])).toThrow(RangeError);
  });

  it("asks only the share's proxies, and reports a proxy it neither hosts nor knows a gateway for (PROXY_NOT_FOUND)", async () => {
    const stranger = ProxyKey.fromPem(privateKeyToPem(sm2KeyPair().privateKey));
    const partial = {
      ...share,
      proxies: [share.proxies[0], { ...share.proxies[2], proxyId: stranger.proxyId }] as FileFragmentsResult['proxies'],
    };
    const served = await pool.serveShare(partial);
    expect(Object.keys(byProxy(served))).toEqual([P0]);
    expect(failures(served)).toEqual({ [stranger.proxyId]: 'PROXY_NOT_FOUND' });
    expect(peers[0].requests).toEqual([]);
    expect(peers[1].requests).toEqual([]);
  });

  it('lists a peer that refuses with its code and still serves the others: enough for the threshold', async () => {
    peers[1].mode = 'refuse';
    const served = await pool.serveShare(share);
    expect(failures(served)).toEqual({ [P2]: 'SHARE_NOT_FOUND' });
    expect(served.failures[0]?.message).toMatch(new RegExp(`peer proxy ${P2}`));
    const f = byProxy(served);
    expect(Object.keys(f)).toEqual([P0, P1]);
    expect(opened([f[P0] as string, f[P1] as string])).toBe(toHex(fileKey));
  });

  it('lists a peer whose answer is not a fragment of its proxy: another proxy’s, not JSON, too large', async () => {
    const cases: ReadonlyArray<[Mode, string]> = [
      ['other-proxy', 'INTERNAL'],
      ['not-json', 'INVALID_INPUT'],
      ['too-large', 'INTERNAL'],
    ];
    for (const [mode, code] of cases) {
      peers[0].mode = mode;
      const served = await pool.serveShare(share);
      expect({ mode, failures: failures(served) }).toEqual({ mode, failures: { [P1]: code } });
      expect(Object.keys(byProxy(served))).toEqual([P0, P2]);
    }
  });

  it("passes a peer's fragment that does not verify on as served (the receiver verifies each, §17.5); the others open the key", async () => {
    peers[1].mode = 'bad-fragment';
    const served = await pool.serveShare(share);
    expect(served.failures).toEqual([]);
    const f = byProxy(served);
    expect(verifies(f[P2] as string)).toBe(false);
    expect(opened([f[P0] as string, f[P1] as string])).toBe(toHex(fileKey));
  });

  it('reports unreachable peer gateways (LEDGER_UNAVAILABLE): below the threshold, it answers what it got', async () => {
    const down = new ProxyPool({
      hosted: [keys[0] as ProxyKey],
      peers: [
        { proxyId: P1, url: closedUrl, caFile: join(dir, 'cert.pem') },
        { proxyId: P2, url: closedUrl, caFile: join(dir, 'cert.pem') },
      ],
      ledger: {} as LedgerBackend,
      org: ORG,
      signer: () => k3,
      clock: () => now,
    });
    const served = await down.serveShare(share);
    expect(failures(served)).toEqual({ [P1]: 'LEDGER_UNAVAILABLE', [P2]: 'LEDGER_UNAVAILABLE' });
    expect(Object.keys(byProxy(served))).toEqual([P0]);
  });

  it('lists a hosted proxy whose sealed fragment is not its own (FRAGMENTS_INVALID) and asks no peer for it', async () => {
    const swapped = {
      ...share,
      proxies: [{ ...share.proxies[0], sealedFragment: share.proxies[1]?.sealedFragment }, share.proxies[1]],
    } as FileFragmentsResult;
    const served = await pool.serveShare(swapped);
    expect(failures(served)).toEqual({ [P0]: 'FRAGMENTS_INVALID' });
    expect(Object.keys(byProxy(served))).toEqual([P1]);
    expect(peers[0].requests).toHaveLength(1);
    expect(peers[1].requests).toEqual([]);
  });

  it("serves a peer's request only for a proxy it hosts: a proxy it knows as a peer's is PROXY_NOT_FOUND", async () => {
    const asked = {
      v: 1,
      fileId,
      receiverKeyId,
      proxyId: P1,
      org: ORG,
      issuedAt: now,
      k3Id: k3.keyId,
      sig: '00'.repeat(64),
    };
    await expect(pool.serveRequest(asked)).rejects.toMatchObject({ code: 'PROXY_NOT_FOUND' });
  });

  it("refuses a peer's CA file that cannot be read, when the pool is built (INVALID_INPUT)", () => {
    expect(
      () =>
        new ProxyPool({
          hosted: [],
          peers: [{ proxyId: P1, url: 'https://127.0.0.1:1', caFile: join(dir, 'missing-ca.pem') }],
          ledger: {} as LedgerBackend,
          org: ORG,
          signer: () => k3,
        }),
    ).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT', message: expect.stringMatching(/CA file of peer proxy/) }),
    );
  });
});
