// SPDX-License-Identifier: Apache-2.0
import { readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { toBase64, toHex, utf8 } from '@medshare/crypto/bytes';
import { publicKeyFromPrivate } from '@medshare/crypto/sm2';
import { sm3 } from '@medshare/crypto/sm3';
import { encryptWithK, sealWithIv } from '@medshare/crypto/testing';
import {
  EXTRACT_LABEL,
  keyIdOf,
  MedshareError,
  type BodyOf,
  type KeyOperation,
  type KeyRequest,
} from '@medshare/protocol';
import { MemoryLedger, type ReadWriteSet, type SimulatedIdentity } from '@medshare/fabric-sim';
import { Harness, ORG1, ORG2, type Party } from '../testing/harness';
import { contractKeyFromPem, type ContractKey } from '../config/contract-key';
import { privateKeyToPem } from '@medshare/crypto/sm2';

/**
 * The ledger a fixed scenario leaves, byte for byte (test/fixtures/ledger-bytes, see its README):
 * every key, nonce, transaction id, time, data key and encryption nonce is derived from a label,
 * so the same code writes the same bytes. The fixture was written by the code before issue 11's
 * per-transaction read cache (state/state.ts); the cache, and any later change meant to change
 * no behaviour, must leave every written key and value, every result and every refusal as they were.
 * `MEDSHARE_WRITE_LEDGER_FIXTURE=1` rewrites the fixture (only for a deliberate format change).
 */
const FIXTURE = join(__dirname, '..', '..', '..', 'test', 'fixtures', 'ledger-bytes', 'scenario.json');
const label = (name: string): Uint8Array => sm3(utf8(`medshare/test/ledger-bytes/${name}`));
const scalar = (name: string): bigint => BigInt(`0x${toHex(label(name))}`) % 2n ** 255n;

function party(name: string): Party {
  const privateKey = toHex(label(name));
  const publicKey = publicKeyFromPrivate(privateKey);
  return { privateKey, publicKey, keyId: keyIdOf(publicKey), pseudonym: toHex(label(`${name}/pseudonym`)) };
}

/** Transaction ids from a counter instead of a random seed; each committed read set kept (MVCC). */
class FixedIdLedger extends MemoryLedger {
  #n = 0;
  readonly readSets: Array<[string, Array<[string, number]>]> = [];

  override commit(rwset: ReadWriteSet): Promise<void> {
    const reads = [...rwset.reads].map(([k, v]): [string, number] => [k.replaceAll('\u0000', '|'), v]).sort();
    this.readSets.push([rwset.txId, reads]);
    return super.commit(rwset);
  }

  override simulate(identity: SimulatedIdentity, options: Parameters<MemoryLedger['simulate']>[1] = {}) {
    this.#n += 1;
    return super.simulate(identity, { ...options, txId: options.txId ?? toHex(label(`tx/${this.#n}`)) });
  }
}

/** The harness with labelled K3s and K4 and a nonce per request from a counter. */
class FixedHarness extends Harness {
  #nonces = 0;

  constructor(
    k4: ContractKey,
    readonly fixedLedger: FixedIdLedger,
  ) {
    super(k4, fixedLedger);
  }

  static async fixed(): Promise<FixedHarness> {
    const k4 = contractKeyFromPem(privateKeyToPem(toHex(label('k4'))));
    const h = new FixedHarness(k4, new FixedIdLedger());
    for (const org of [ORG1, ORG2]) {
      h.k3[org] = { ...party(`k3/${org}`), org };
      await h.admin(
        org,
        'layer-keys:RegisterAccessKey',
        h.k3[org].publicKey,
        String(h.now - 86_400_000),
        String(h.now + 86_400_000 * 365),
      );
    }
    return h;
  }

  override request<O extends KeyOperation>(op: O, author: Party, body: BodyOf<O>, lifetimeMs?: number): KeyRequest<O> {
    this.#nonces += 1;
    return {
      ...super.request(op, author, body, lifetimeMs),
      nonce: toHex(label(`nonce/${this.#nonces}`)).slice(0, 32),
    };
  }
}

describe('the ledger bytes of a fixed scenario', () => {
  it('are exactly those of the fixture: every written key and value, every result and refusal', async () => {
    const h = await FixedHarness.fixed();
    const steps: unknown[] = [];
    const step = async (name: string, run: () => Promise<unknown>): Promise<Record<string, unknown>> => {
      try {
        const result = (await run()) as Record<string, unknown>;
        steps.push({ name, result });
        return result;
      } catch (error) {
        if (!(error instanceof MedshareError)) throw error;
        steps.push({ name, refused: error.code });
        return {};
      }
    };
    const [a, b, doctor, institution, stranger] = ['patient-a', 'patient-b', 'doctor', 'institution', 'stranger'].map(
      party,
    ) as [Party, Party, Party, Party, Party];
    const register = (p: Party, role: 'patient' | 'doctor' | 'institution', org: string) =>
      h.act('register', p, { role, publicKey: p.publicKey, pseudonym: p.pseudonym }, org);
    const record = (owner: Party, name: string, idempotencyKey?: string): BodyOf<'upload'> => {
      const dataKey = label(`data-key/${name}`);
      const sealed = sealWithIv(
        dataKey,
        utf8(`{"note":"${name}"}`),
        new Uint8Array(0),
        label(`iv/${name}`).slice(0, 16),
      );
      return {
        patientId: owner.pseudonym,
        ciphertext: toBase64(sealed),
        contentHash: toHex(sm3(sealed)),
        ownerKeyWrap: toHex(encryptWithK(owner.publicKey, dataKey, scalar(`wrap/${name}`))),
        metadata: { kind: 'clinical-note', createdAt: h.now - 60_000 },
        ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
      };
    };

    await step('register a', () => register(a, 'patient', ORG1));
    await step('register b', () => register(b, 'patient', ORG1));
    await step('register doctor', () => register(doctor, 'doctor', ORG2));
    await step('approve doctor', () => h.admin(ORG2, 'registry:ApproveUser', doctor.keyId));
    await step('register institution', () => register(institution, 'institution', ORG2));
    await step('approve institution', () => h.admin(ORG2, 'registry:ApproveUser', institution.keyId));
    await step('register a again', () => register(a, 'patient', ORG1));

    const r1 = (await step('upload r1', () => h.act('upload', a, record(a, 'r1')))).recordId as string;
    const key = toHex(label('idempotency/visit-1'));
    const r2body = record(a, 'r2', key);
    await step('upload r2 with a key', () => h.act('upload', a, r2body));
    await step('upload r2 again', () => h.act('upload', a, r2body));
    await step('upload other content, same key', () => h.act('upload', a, record(a, 'r3', key)));
    await step('upload by a stranger', () => h.act('upload', stranger, record(stranger, 'r4')));
    await step('upload for another patient', () => h.act('upload', b, record(a, 'r5')));

    const viewEnvelope = h.envelope(h.request('view', a, { recordId: r1 }), a);
    const view = (await step('view by the owner', async () => (await h.call(viewEnvelope)).response.result)).accessId;
    await step('the same view again (its nonce)', async () => (await h.call(viewEnvelope)).response.result);
    await step('read by the owner', () => h.act('read', a, { recordId: r1, accessId: view as string }));
    await step('read with another access id', () => h.act('read', a, { recordId: r1, accessId: 'ab'.repeat(32) }));

    const wrap = toHex(encryptWithK(doctor.publicKey, label('data-key/r1'), scalar('wrap/doctor')));
    await step('grant to the doctor', () =>
      h.act('grant', a, { recordId: r1, granteeKeyId: doctor.keyId, keyWrap: wrap }),
    );
    await step('grant by a non-owner', () =>
      h.act('grant', b, { recordId: r1, granteeKeyId: doctor.keyId, keyWrap: wrap }),
    );
    const doctorView = (await step('view by the doctor', () => h.act('view', doctor, { recordId: r1 }, ORG2))).accessId;
    await step('read by the doctor', () =>
      h.act('read', doctor, { recordId: r1, accessId: doctorView as string }, ORG2),
    );
    await step('view by patient b', () => h.act('view', b, { recordId: r1 }));

    const study = (
      await step('publish a study', () =>
        h.act(
          'study-publish',
          institution,
          { study: { title: 'ledger bytes', fields: [{ field: 'age', rule: 'band', width: 5 }], k: 2 } },
          ORG2,
        ),
      )
    ).studyId as string;
    const extractKey = label('extract-key');
    const warrant = {
      recordId: r1,
      studyId: study,
      institutionKeyId: institution.keyId,
      extract: toBase64(
        sealWithIv(
          extractKey,
          utf8('{"values":{"age":"35-39"}}'),
          utf8(`${EXTRACT_LABEL}${study}\n${institution.keyId}`),
          label('iv/extract').slice(0, 16),
        ),
      ),
      extractKeyWrap: toHex(encryptWithK(institution.publicKey, extractKey, scalar('wrap/extract'))),
    };
    await step('warrant', () => h.act('warrant', a, warrant));
    await step('warrant again', () => h.act('warrant', a, warrant));
    await step('unwarrant', () =>
      h.act('unwarrant', a, { recordId: r1, studyId: study, institutionKeyId: institution.keyId }),
    );

    await step('revoke the doctor', () => h.act('revoke', a, { recordId: r1, granteeKeyId: doctor.keyId }));
    await step('revoke again', () => h.act('revoke', a, { recordId: r1, granteeKeyId: doctor.keyId }));
    await step('view by the revoked doctor', () => h.act('view', doctor, { recordId: r1 }, ORG2));
    const page = { pageSize: 10, bookmark: '' };
    await step('audit', () => h.act('audit', a, { recordId: r1, ...page }));
    await step('list records', () => h.act('list-records', a, page));
    await step('list grants', () => h.act('list-grants', doctor, page, ORG2));
    await step('record list', () => h.act('patient-records', a, page));

    const actual = {
      steps,
      height: h.ledger.height,
      readSets: h.fixedLedger.readSets,
      entries: h.ledger.entries().map(([k, v]) => [k.replaceAll('\u0000', '|'), Buffer.from(v).toString('utf8')]),
      events: h.ledger.committedEvents.map((e) => [e.txId, e.eventName, Buffer.from(e.payload).toString('utf8')]),
    };
    const text = `${JSON.stringify(actual, null, 1)}\n`;
    if (process.env.MEDSHARE_WRITE_LEDGER_FIXTURE === '1') writeFileSync(FIXTURE, text);
    const expected = JSON.parse(readFileSync(FIXTURE, 'utf8')) as typeof actual;
    expect(actual.steps).toEqual(expected.steps);
    expect(actual.entries).toEqual(expected.entries);
    expect(actual.events).toEqual(expected.events);
    expect(actual.readSets).toEqual(expected.readSets);
    expect(actual.height).toBe(expected.height);
    expect(createHash('sha256').update(text).digest('hex')).toBe(
      createHash('sha256').update(readFileSync(FIXTURE)).digest('hex'),
    );
  });
});
