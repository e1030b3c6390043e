import {
  chainPayload,
  encrypt,
  generateKeyPair,
  keyIdOf,
  newRequest,
  randomKey,
  seal,
  SUBMIT_OPERATIONS,
  signFor,
  sm3,
  toBase64,
  toHex,
  utf8,
  type BodyByOp,
  type Operation,
  type Request,
  type Role,
  type Sm2KeyPair,
} from '@medshare/protocol';
import { randomBytes } from 'node:crypto';
import { contractKeyFromPem, type ContractKey } from '../config/contract-key';
import { MedshareContract, TRANSACTION_BY_OP } from '../contract';
import { MemoryLedger, fabricIdentity } from '../simulator/memory-ledger';
import type { ClientIdentityLike } from '../simulator/ledger';
import { privateKeyToPem } from '@medshare/protocol';

export const ORG1 = 'Org1MSP';
export const ORG2 = 'Org2MSP';
export const APP_ID = 'hospital-1.app';
export const T0 = Date.UTC(2026, 10, 23, 8, 0, 0);

export interface Party extends Sm2KeyPair {
  readonly keyId: string;
  readonly pseudonym: string;
}

export function newParty(): Party {
  const keys = generateKeyPair();
  return { ...keys, keyId: keyIdOf(keys.publicKey), pseudonym: randomBytes(32).toString('hex') };
}

export interface AccessLayer extends Party {
  readonly org: string;
}

/**
 * A contract over the in-memory ledger with two orgs' access layers registered, and helpers
 * that build signed envelopes the way the gateway does.
 */
export class Harness {
  readonly ledger = new MemoryLedger();
  readonly k4: ContractKey;
  readonly contract: MedshareContract;
  readonly k3: Record<string, AccessLayer> = {};
  now = T0;

  constructor(k4?: ContractKey) {
    this.k4 = k4 ?? contractKeyFromPem(privateKeyToPem(generateKeyPair().privateKey));
    this.contract = new MedshareContract({ contractKey: this.k4 });
    this.ledger.clock = () => this.now;
  }

  static async create(): Promise<Harness> {
    const h = new Harness();
    for (const org of [ORG1, ORG2]) {
      const k3 = { ...newParty(), org };
      h.k3[org] = k3;
      await h.admin(org, (ctx) => h.contract.RegisterAccessKey(ctx as never, k3.publicKey, String(T0 - 86_400_000), String(T0 + 365 * 86_400_000)));
    }
    return h;
  }

  client(org = ORG1): ClientIdentityLike {
    return fabricIdentity(org);
  }

  admin<T>(org: string, run: (ctx: unknown) => Promise<T>): Promise<T> {
    return this.ledger.submit(fabricIdentity(org, { admin: true }), run).then((r) => r.result);
  }

  /** Each request moves the clock 1 ms, so audit entries have distinct times as in real use. */
  request<O extends Operation>(op: O, author: Party, body: BodyByOp[O], lifetimeMs?: number): Request<O> {
    this.now += 1;
    return newRequest({ op, body, appId: APP_ID, keyId: author.keyId, now: this.now, ...(lifetimeMs ? { lifetimeMs } : {}) });
  }

  /** {request, sig1, sig3, k3Id} as the gateway sends it; `signer` overrides who makes sig1. */
  envelope(request: Request, signer: Sm2KeyPair, org = ORG1, k3: AccessLayer | undefined = this.k3[org]): string {
    if (!k3) throw new Error(`no K3 for ${org}`);
    const sig1 = signFor('sig1', signer, request);
    const sig3 = signFor('sig3', k3, chainPayload(request as never, sig1));
    return JSON.stringify({ request, sig1, sig3, k3Id: k3.keyId });
  }

  /** Calls the transaction for the envelope's op: submitted or evaluated as on Fabric. */
  async call(envelope: string, org = ORG1): Promise<{ response: { result: Record<string, unknown>; [k: string]: unknown }; sig4: string; raw: string }> {
    const op = (JSON.parse(envelope) as { request?: { op?: Operation } }).request?.op ?? 'view';
    const fn = TRANSACTION_BY_OP[op] as 'Register';
    const run = (ctx: unknown): Promise<string> => this.contract[fn](ctx as never, envelope);
    const { result } = SUBMIT_OPERATIONS.has(op) ? await this.ledger.submit(this.client(org), run) : await this.ledger.evaluate(this.client(org), run);
    return { ...(JSON.parse(result) as { response: { result: Record<string, unknown> }; sig4: string }), raw: result };
  }

  /** Signs with `author` and calls: the common path. */
  async act<O extends Operation>(op: O, author: Party, body: BodyByOp[O], org = ORG1): Promise<Record<string, unknown>> {
    return (await this.call(this.envelope(this.request(op, author, body), author, org), org)).response.result;
  }

  async registerPatient(org = ORG1): Promise<Party> {
    const p = newParty();
    await this.act('register', p, { role: 'patient', publicKey: p.publicKey, pseudonym: p.pseudonym }, org);
    return p;
  }

  async registerDoctor(org = ORG1, role: Role = 'doctor', approve = true): Promise<Party> {
    const d = newParty();
    await this.act('register', d, { role, publicKey: d.publicKey, pseudonym: d.pseudonym }, org);
    if (approve) await this.admin(org, (ctx) => this.contract.ApproveUser(ctx as never, d.keyId));
    return d;
  }

  /** A sealed record with a data key wrapped for the owner, as the app builds it. */
  sealedRecord(owner: Party, plaintext = '{"diagnosis":"J45.909","note":"asthma, mild"}'): { body: BodyByOp['upload']; dataKey: Uint8Array } {
    const dataKey = randomKey();
    const sealed = seal(dataKey, utf8(plaintext));
    return {
      dataKey,
      body: {
        patientId: owner.pseudonym,
        ciphertext: toBase64(sealed),
        contentHash: toHex(sm3(sealed)),
        ownerKeyWrap: toHex(encrypt(owner.publicKey, dataKey)),
        metadata: { kind: 'clinical-note', createdAt: this.now - 60_000 },
      },
    };
  }

  async upload(owner: Party): Promise<{ recordId: string; dataKey: Uint8Array }> {
    const { body, dataKey } = this.sealedRecord(owner);
    const result = await this.act('upload', owner, body);
    return { recordId: result.recordId as string, dataKey };
  }

  snapshot(): string {
    return JSON.stringify({ height: this.ledger.height, entries: this.ledger.entries().map(([k, v]) => [k, Buffer.from(v).toString('base64')]) });
  }
}
