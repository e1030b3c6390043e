// SPDX-License-Identifier: Apache-2.0
import { generateKeyPair, privateKeyToPem, type Sm2KeyPair } from '@medshare/crypto/sm2';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { keyIdOf } from '@medshare/protocol';
import type { FastifyInstance } from 'fastify';
import { request as httpRequest } from 'node:http';
import { MedshareClient, errorFromBody, textStream, type TextStream, type Transport } from '@medshare/app';
import { buildGateway, type GatewayDeps } from '../app';
import { DurableCheckpointer } from '../events/checkpointer';
import { EventLog } from '../events/event-log';
import { EventStreams } from '../events/event-streams';
import { EventFollower } from '../events/follower';
import { K3Reconciler } from '../keys/k3-reconciler';
import { KeyRing } from '../keys/key-ring';
import type { LedgerBackend } from '../ledger/backend';
import { EmbeddedBackend } from '../ledger/embedded';
import { GatewayMetrics } from '../metrics/metrics';
import { GatewayEnvironment } from '../access/environment';
import { LoginService } from '../access/login';
import type { WorkBudget } from '../access/work-budget';
import { AccessLayer } from '../pipeline/access-layer';
import { FileService } from '../files/file-service';
import { ProxyPool } from '../proxy/proxy-pool';
import type { ProxyKey } from '../proxy/proxy';
import type { PeerProxyConfig } from '../proxy/proxy-config';
import { EmbeddedBlobStore } from '../storage/embedded-blob-store';
import type { Readable } from 'node:stream';

export const APP = 'hospital-1.app';
export const ORG = 'Org1MSP';

export interface KeySet {
  k2: Sm2KeyPair[];
  k3: Array<Sm2KeyPair & { notBefore: number; notAfter: number }>;
  k4: Sm2KeyPair;
  allow: string[];
}

/** A gateway over a fresh embedded ledger in a temp folder, with a controllable clock. */
export class GatewayFixture {
  readonly dir = mkdtempSync(join(tmpdir(), 'medshare-gw-'));
  now = Date.now();
  readonly keys: KeySet;
  ledger!: EmbeddedBackend;
  accessLayer!: AccessLayer;
  readonly metrics = new GatewayMetrics();
  app!: FastifyInstance;
  eventLog!: EventLog;
  events!: EventStreams;
  follower!: EventFollower;
  login!: LoginService;
  /** The ledger as the gateway sees it (the `ledger` option's wrapper, if any). */
  backend!: LedgerBackend;
  /** With the `files` option: the object store under `<dir>/blobs`, the files service and the proxies. */
  files: { store: EmbeddedBlobStore; service: FileService; proxies: ProxyPool } | undefined;
  readonly adminToken = 'test-admin-token-0123456789';

  private constructor(options: { allow?: string[] } = {}) {
    const window = { notBefore: this.now - 60_000, notAfter: this.now + 86_400_000 };
    this.keys = {
      k2: [generateKeyPair()],
      k3: [{ ...generateKeyPair(), ...window }],
      k4: generateKeyPair(),
      allow: options.allow ?? ['127.0.0.1/32', '::1/128'],
    };
    writeFileSync(join(this.dir, 'k4.pem'), privateKeyToPem(this.keys.k4.privateKey), { mode: 0o600 });
    this.writeKeys();
  }

  async #open(options: {
    ledger?: (inner: EmbeddedBackend) => LedgerBackend;
    budget?: WorkBudget;
    heavyWaitingPerSession?: number;
  }): Promise<void> {
    this.ledger = await EmbeddedBackend.open(
      { type: 'embedded', dir: join(this.dir, 'ledger'), k4KeyFile: join(this.dir, 'k4.pem') },
      ORG,
    );
    // One clock for the access layer and the ledger; each transaction is 1 ms later than the
    // last, as in real use, so audit entries keep their order.
    let ticks = 0;
    this.ledger.ledger.clock = () => this.now + (ticks += 1);
    const backend = options.ledger ? options.ledger(this.ledger) : this.ledger;
    this.backend = backend;
    this.accessLayer = new AccessLayer(KeyRing.load(join(this.dir, 'keys.json')), backend, {
      sessionTtlMs: 600_000,
      sessionsPerApp: 40,
      replayCacheSize: 1000,
      ...(options.budget ? { unauthenticatedBudget: options.budget } : {}),
      ...(options.heavyWaitingPerSession === undefined
        ? {}
        : { heavyWaitingPerSession: options.heavyWaitingPerSession }),
      clock: () => this.now,
    });
    this.accessLayer.useEnvironment(new GatewayEnvironment({ ledger: backend, org: ORG }));
    this.login = new LoginService({ accessLayer: this.accessLayer, ledger: backend, org: ORG, clock: () => this.now });
  }

  static async create(
    options: {
      ledger?: (inner: EmbeddedBackend) => LedgerBackend;
      allow?: string[];
      logStream?: NodeJS.WritableStream;
      bodyLimit?: number;
      requestsPerMinute?: number;
      sessionOpensPerMinute?: number;
      /** The budget for SM2 work before authentication (default: the gateway's). */
      budget?: WorkBudget;
      /** Heavy requests of one session that may wait for their turn (default: the gateway's). */
      heavyWaitingPerSession?: number;
      trustedProxies?: string[];
      streamsPerApp?: number;
      retainEvents?: number;
      /** Large files, a service built by the test on the fixture's access layer and ledger. */
      fileService?: (accessLayer: AccessLayer, ledger: LedgerBackend) => NonNullable<GatewayDeps['files']>;
      /** Large files: the proxies this gateway hosts (registered on the ledger) and its peers. */
      files?: { readonly proxies: readonly ProxyKey[]; readonly peers?: readonly PeerProxyConfig[] };
    } = {},
  ): Promise<GatewayFixture> {
    const f = new GatewayFixture(options);
    await f.#open(options);
    f.eventLog = await EventLog.open(join(f.dir, 'events'), { retain: options.retainEvents ?? 10_000 });
    // A short heartbeat, so a stream notices the fixture's clock passing its session's expiry soon.
    f.events = new EventStreams(f.eventLog, {
      streamsPerApp: options.streamsPerApp ?? 8,
      heartbeatMs: 20,
      clock: () => f.now,
    });
    f.follower = new EventFollower({
      source: (o) => f.ledger.chaincodeEvents(o),
      log: f.eventLog,
      checkpointer: await DurableCheckpointer.open(join(f.dir, 'events', 'checkpoint.json')),
    });
    f.follower.start();
    for (const k3 of f.keys.k3) await f.ledger.orgAdmin().registerAccessKey(k3);
    if (options.files) await f.#openFiles(options.files);
    f.app = await buildGateway(
      {
        org: ORG,
        accessLayer: f.accessLayer,
        ledger: f.ledger,
        events: f.events,
        metrics: f.metrics,
        login: f.login,
        adminToken: f.adminToken,
        ...(f.files ? { files: { service: f.files.service, proxies: f.files.proxies } } : {}),
        onAccessKeysChanged: async () => {
          await f.reconcile();
        },
        ...(options.fileService ? { files: options.fileService(f.accessLayer, f.ledger) } : {}),
        requestsPerMinutePerApp: options.requestsPerMinute ?? 100_000,
        sessionOpensPerMinutePerAddress: options.sessionOpensPerMinute ?? 100_000,
      },
      {
        bodyLimit: options.bodyLimit ?? 1_500_000,
        trustedProxies: options.trustedProxies ?? [],
        logLevel: options.logStream ? 'debug' : 'silent',
        ...(options.logStream ? { logStream: options.logStream } : {}),
      },
    );
    return f;
  }

  async #openFiles(options: {
    readonly proxies: readonly ProxyKey[];
    readonly peers?: readonly PeerProxyConfig[];
  }): Promise<void> {
    const store = new EmbeddedBlobStore({ dir: join(this.dir, 'blobs') });
    await store.ready();
    const proxies = new ProxyPool({
      hosted: options.proxies,
      peers: options.peers ?? [],
      ledger: this.backend,
      org: ORG,
      signer: () => this.accessLayer.signingK3(),
      clock: () => this.now,
    });
    const service = new FileService({
      store,
      accessLayer: this.accessLayer,
      proxies,
      maxFileBytes: 64 * 1024 * 1024,
      clock: () => this.now,
    });
    this.accessLayer.useHooks(service.hooks());
    for (const key of options.proxies) await this.ledger.orgAdmin().registerProxy(key.publicKey);
    this.files = { store, service, proxies };
  }

  /** Rewrites keys.json from `this.keys` (K3 private keys as PEM files) and returns its path. */
  writeKeys(): string {
    const window = { notBefore: this.now - 60_000, notAfter: this.now + 86_400_000 };
    const k3 = this.keys.k3.map((k, i) => {
      writeFileSync(join(this.dir, `k3-${i}.pem`), privateKeyToPem(k.privateKey), { mode: 0o600 });
      return { keyFile: `k3-${i}.pem`, notBefore: k.notBefore, notAfter: k.notAfter };
    });
    const path = join(this.dir, 'keys.json');
    writeFileSync(
      path,
      JSON.stringify({
        apps: [
          {
            appId: APP,
            allow: this.keys.allow,
            keys: this.keys.k2.map((k) => ({ publicKey: k.publicKey, ...window })),
          },
        ],
        k3,
        k4: [{ publicKey: this.keys.k4.publicKey, ...window }],
      }),
    );
    return path;
  }

  reloadKeys(): void {
    this.accessLayer.replaceKeys(KeyRing.load(this.writeKeys()));
  }

  /** What a running gateway does at start, on reload and periodically (runtime.ts), on the fixture's clock. */
  reconcile(
    log: ConstructorParameters<typeof K3Reconciler>[3] = { info() {}, warn() {}, error() {} },
  ): ReturnType<K3Reconciler['run']> {
    return new K3Reconciler(this.accessLayer, this.ledger, ORG, log, {
      clock: () => this.now,
      register: async (k) => {
        await this.ledger.orgAdmin().registerAccessKey(k);
      },
    }).run();
  }

  /** An SDK transport over fastify.inject, from a given source address. */
  injectTransport(remoteAddress = '127.0.0.1', tamper?: (path: string, body: unknown) => unknown): Transport {
    const call = async (
      method: 'GET' | 'POST',
      url: string,
      payload?: unknown,
      headers?: Readonly<Record<string, string>>,
    ): Promise<unknown> => {
      const res = await this.app.inject({
        method,
        url,
        remoteAddress,
        ...(headers ? { headers } : {}),
        ...(payload === undefined ? {} : { payload: payload as object }),
      });
      const body = res.body ? (JSON.parse(res.body) as unknown) : undefined;
      if (res.statusCode >= 400) throw errorFromBody(res.statusCode, body);
      return tamper ? tamper(url, body) : body;
    };
    return {
      post: (p, b, h) => call('POST', p, b, h),
      get: (p, h) => call('GET', p, undefined, h),
      stream: (p, h) => this.stream(p, h),
      upload: (p, body, size, h) => this.upload(p, body, size, h),
      close() {},
    };
  }

  #listening: Promise<string> | undefined;

  /** The app on a loopback port (plain HTTP; started on first use): inject cannot stream. */
  listening(): Promise<string> {
    this.#listening ??= this.app.listen({ host: '127.0.0.1', port: 0 });
    return this.#listening;
  }

  /** A PUT of a binary body over a real socket from 127.0.0.1 (a file upload: transfers need a socket's timeouts). */
  async upload(
    path: string,
    body: Readable,
    size: number,
    headers: Readonly<Record<string, string>>,
  ): Promise<unknown> {
    const base = await this.listening();
    return new Promise((resolve, reject) => {
      const req = httpRequest(
        new URL(path, base),
        {
          method: 'PUT',
          headers: { ...headers, 'content-type': 'application/octet-stream', 'content-length': String(size) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            const answer = text ? (JSON.parse(text) as unknown) : undefined;
            if ((res.statusCode ?? 500) >= 400) reject(errorFromBody(res.statusCode ?? 500, answer));
            else resolve(answer);
          });
        },
      );
      req.on('error', reject);
      body.on('error', (error) => req.destroy(error));
      body.pipe(req);
    });
  }

  /** A GET of an event stream over a real socket from 127.0.0.1, as the SDK's transport does it. */
  async stream(path: string, headers: Readonly<Record<string, string>>): Promise<TextStream> {
    const base = await this.listening();
    return new Promise((resolve, reject) => {
      const req = httpRequest(new URL(path, base), { headers: { ...headers, accept: 'text/event-stream' } }, (res) => {
        if ((res.statusCode ?? 500) >= 400) {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let body: unknown;
            try {
              body = text ? (JSON.parse(text) as unknown) : undefined;
            } catch {
              body = undefined;
            }
            reject(errorFromBody(res.statusCode ?? 500, body));
          });
          return;
        }
        resolve(textStream(res, () => req.destroy()));
      });
      req.on('error', reject);
      req.end();
    });
  }

  client(
    options: { k2?: Sm2KeyPair; trusted?: string[]; transport?: Transport; remoteAddress?: string } = {},
  ): MedshareClient {
    const k2 = options.k2 ?? this.keys.k2[0];
    if (!k2) throw new Error('fixture has no K2');
    return new MedshareClient(
      {
        gatewayUrl: 'https://127.0.0.1',
        appId: APP,
        appKey: k2,
        trustedAccessKeys: options.trusted ?? this.keys.k3.map((k) => k.publicKey),
        trustedContractKeys: [this.keys.k4.publicKey],
        clock: () => this.now,
        // Upload retries do not wait in tests (no timed behaviour).
        sleep: () => Promise.resolve(),
      },
      options.transport ?? this.injectTransport(options.remoteAddress),
    );
  }

  snapshot(): string {
    return JSON.stringify({
      height: this.ledger.ledger.height,
      entries: this.ledger.ledger.entries().map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
    });
  }

  /** Resolves once the follower has logged every event committed so far. */
  async eventsCaughtUp(): Promise<void> {
    const last = this.ledger.ledger.committedEvents.at(-1);
    if (last) await this.follower.caughtUp(BigInt(last.blockNumber), last.txId);
  }

  async close(): Promise<void> {
    await this.app.close();
    await this.follower.stop();
    await this.eventLog.close();
    await this.ledger.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The test wrappers of a backend (ledger-wrapper.ts), re-exported so a test needs one import. */
export { ledgerWith, withRun } from './ledger-wrapper';

export function party(): Sm2KeyPair & { keyId: string } {
  const k = generateKeyPair();
  return { ...k, keyId: keyIdOf(k.publicKey) };
}
