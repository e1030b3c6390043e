// SPDX-License-Identifier: Apache-2.0
import { fromHex, toBase64, toHex, utf8 } from '@medshare/crypto/bytes';
import { ringKeyImage, ringSign } from '@medshare/crypto/ring';
import { randomKey, seal } from '@medshare/crypto/sealed-box';
import { encrypt, generateKeyPair, privateKeyToPem, type Sm2KeyPair } from '@medshare/crypto/sm2';
import { sm3 } from '@medshare/crypto/sm3';
import {
  EXTRACT_LABEL,
  canonicalize,
  chainPayload,
  keyIdOf,
  newRequest,
  newRingRequest,
  ringScope,
  signedBytes,
  type RingOperation,
  type RingRequest,
  OPERATION_TABLE,
  qualifiedName,
  signFor,
  type BodyOf,
  type KeyOperation,
  type KeyRequest,
  type Operation,
  type Role,
} from '@medshare/protocol';
import { randomBytes } from 'node:crypto';
import {
  ChaincodeHost,
  MemoryLedger,
  createCompositeKey,
  fabricIdentity,
  type SimulatedIdentity,
  type TransactionResult,
} from '@medshare/fabric-sim';
import { contractKeyFromPem, type ContractKey } from '../config/contract-key';
import type { MedshareContractOptions } from '../contracts/base-contract';
import { CHAINCODE_INFO, contractsWith } from '../index';

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

/** The chaincode's contracts hosted as a peer runs them (fabric-shim's router), with `options`. */
export function chaincodeWith(options: MedshareContractOptions): ChaincodeHost {
  return new ChaincodeHost(contractsWith(options), CHAINCODE_INFO);
}

/**
 * The chaincode over the in-memory ledger with two orgs' access layers registered, and helpers
 * that build signed envelopes the way the gateway does.
 */
export class Harness {
  readonly k4: ContractKey;
  readonly chaincode: ChaincodeHost;
  readonly k3: Record<string, AccessLayer> = {};
  now = T0;

  /** `ledger`: another ledger than a fresh MemoryLedger (a subclass with fixed transaction ids). */
  constructor(
    k4?: ContractKey,
    readonly ledger: MemoryLedger = new MemoryLedger(),
  ) {
    this.k4 = k4 ?? contractKeyFromPem(privateKeyToPem(generateKeyPair().privateKey));
    this.chaincode = chaincodeWith({ contractKey: this.k4 });
    this.ledger.clock = () => this.now;
  }

  static async create(): Promise<Harness> {
    const h = new Harness();
    for (const org of [ORG1, ORG2]) {
      const k3 = { ...newParty(), org };
      h.k3[org] = k3;
      await h.admin(
        org,
        'layer-keys:RegisterAccessKey',
        k3.publicKey,
        String(T0 - 86_400_000),
        String(T0 + 365 * 86_400_000),
      );
    }
    return h;
  }

  client(org = ORG1): SimulatedIdentity {
    return fabricIdentity(org);
  }

  /** Submits `fcn` (`contract:Transaction`) as a client of ORG1 or as `identity`. */
  submit(fcn: string, args: readonly string[], identity = this.client()): Promise<TransactionResult<string>> {
    return this.chaincode.submit(this.ledger, identity, fcn, args);
  }

  evaluate(fcn: string, args: readonly string[], identity = this.client()): Promise<TransactionResult<string>> {
    return this.chaincode.evaluate(this.ledger, identity, fcn, args);
  }

  /** Submits `fcn` as an admin of `org`; resolves with its result. */
  admin(org: string, fcn: string, ...args: string[]): Promise<string> {
    return this.submit(fcn, args, fabricIdentity(org, { admin: true })).then((r) => r.result);
  }

  /** Each request moves the clock 1 ms, so audit entries have distinct times as in real use. */
  request<O extends KeyOperation>(op: O, author: Party, body: BodyOf<O>, lifetimeMs?: number): KeyRequest<O> {
    this.now += 1;
    return newRequest({
      op,
      body,
      appId: APP_ID,
      keyId: author.keyId,
      now: this.now,
      ...(lifetimeMs ? { lifetimeMs } : {}),
    });
  }

  /** {request, sig1, sig3, k3Id} as the gateway sends it; `signer` overrides who makes sig1. */
  envelope(request: KeyRequest, signer: Sm2KeyPair, org = ORG1, k3: AccessLayer | undefined = this.k3[org]): string {
    if (!k3) throw new Error(`no K3 for ${org}`);
    const sig1 = signFor('sig1', signer, request);
    const sig3 = signFor('sig3', k3, chainPayload(request as never, sig1));
    return JSON.stringify({ request, sig1, sig3, k3Id: k3.keyId });
  }

  /** Calls the transaction for the envelope's op: submitted or evaluated as on Fabric. */
  async call(
    envelope: string,
    org = ORG1,
  ): Promise<{ response: { result: Record<string, unknown>; [k: string]: unknown }; sig4: string; raw: string }> {
    const op = (JSON.parse(envelope) as { request?: { op?: Operation } }).request?.op ?? 'view';
    const row = OPERATION_TABLE[op];
    const fcn = qualifiedName(row);
    const { result } =
      row.call === 'submit'
        ? await this.submit(fcn, [envelope], this.client(org))
        : await this.evaluate(fcn, [envelope], this.client(org));
    return { ...(JSON.parse(result) as { response: { result: Record<string, unknown> }; sig4: string }), raw: result };
  }

  /**
   * A ring request by `signer` among `members` (the signer's own key among them), as the SDK
   * builds it: members sorted by key id, the key image in the body's study, sig1 by ringSign.
   */
  ringRequest<O extends RingOperation>(
    op: O,
    members: readonly Party[],
    signer: Party,
    body: BodyOf<O>,
  ): { request: RingRequest<O>; sig1: string } {
    this.now += 1;
    const { studyId } = body as { studyId: string };
    const sorted = [...members].sort((a, b) => (a.keyId < b.keyId ? -1 : a.keyId > b.keyId ? 1 : 0));
    const keyImage = toHex(ringKeyImage(signer.privateKey, ringScope(studyId)));
    const request = newRingRequest({
      op,
      body,
      appId: APP_ID,
      ring: { members: sorted.map((m) => m.keyId), keyImage },
      now: this.now,
    });
    const sig1 = ringSign({
      message: signedBytes('sig1', request),
      scope: ringScope(studyId),
      ring: sorted.map((m) => fromHex(m.publicKey)),
      signer: sorted.findIndex((m) => m.keyId === signer.keyId),
      privateKey: signer.privateKey,
    });
    return { request, sig1: toHex(sig1) };
  }

  /** {request, sig1, sig3, k3Id} of a ring request, with whatever sig1 (and request) the test gives. */
  ringEnvelope(request: unknown, sig1: string, org = ORG1): string {
    const k3 = this.k3[org];
    if (!k3) throw new Error(`no K3 for ${org}`);
    const sig3 = signFor('sig3', k3, chainPayload(request as never, sig1));
    return JSON.stringify({ request, sig1, sig3, k3Id: k3.keyId });
  }

  /** A ring request signed and called: the common anonymous path. */
  async actRing<O extends RingOperation>(
    op: O,
    members: readonly Party[],
    signer: Party,
    body: BodyOf<O>,
    org = ORG1,
  ): Promise<Record<string, unknown>> {
    const { request, sig1 } = this.ringRequest(op, members, signer, body);
    return (await this.call(this.ringEnvelope(request, sig1, org), org)).response.result;
  }

  /** A sealed extract for `institution` in `studyId`, as a patient's app makes it, and its key wrap. */
  sealedExtract(
    institution: Party,
    studyId: string,
    plaintext = '{"studyId":"…","v":1,"values":{"age":"35-39"}}',
  ): { extract: string; extractKeyWrap: string } {
    const dataKey = randomKey();
    return {
      extract: toBase64(seal(dataKey, utf8(plaintext), utf8(`${EXTRACT_LABEL}${studyId}\n${institution.keyId}`))),
      extractKeyWrap: toHex(encrypt(institution.publicKey, dataKey)),
    };
  }

  /** Signs with `author` and calls: the common path. */
  async act<O extends KeyOperation>(
    op: O,
    author: Party,
    body: BodyOf<O>,
    org = ORG1,
  ): Promise<Record<string, unknown>> {
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
    if (approve) await this.admin(org, 'registry:ApproveUser', d.keyId);
    return d;
  }

  /** A sealed record with a data key wrapped for the owner, as the app builds it. */
  sealedRecord(
    owner: Party,
    plaintext = '{"diagnosis":"J45.909","note":"asthma, mild"}',
  ): { body: BodyOf<'upload'>; dataKey: Uint8Array } {
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

  /**
   * Writes a user's registry entry with another status, a state no transaction makes today (a
   * suspension); resolves with the function that writes the entry back.
   */
  async setUserStatus(user: Party, status: string): Promise<() => Promise<void>> {
    const key = createCompositeKey('medshare.user', [user.keyId]);
    const before = this.ledger.get(key)?.value;
    if (!before) throw new Error('no such user');
    const write = (bytes: Uint8Array): Promise<unknown> =>
      this.ledger.submit(fabricIdentity(ORG1), (ctx) => ctx.stub.putState(key, bytes));
    const entry = JSON.parse(Buffer.from(before).toString('utf8')) as Record<string, unknown>;
    await write(Buffer.from(canonicalize({ ...entry, status })));
    return async () => {
      await write(before);
    };
  }

  snapshot(): string {
    return JSON.stringify({
      height: this.ledger.height,
      entries: this.ledger.entries().map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
    });
  }
}

/** Runs a call that must fail with `code` and asserts the ledger did not change at all. */
export async function rejects(h: Harness, call: () => Promise<unknown>, code: string, message?: RegExp): Promise<void> {
  const before = h.snapshot();
  await expect(call()).rejects.toMatchObject({
    name: 'MedshareError',
    code,
    ...(message ? { message: expect.stringMatching(message) } : {}),
  });
  expect(h.snapshot()).toBe(before);
}

/** A real SM2 wrap of a random 32-byte key for `party` (the contract checks C1 is on the curve). */
export function wrapFor(party: Party): string {
  return toHex(encrypt(party.publicKey, new Uint8Array(32).fill(7)));
}

export function flip(hex: string): string {
  return (hex[0] === '0' ? '1' : '0') + hex.slice(1);
}
