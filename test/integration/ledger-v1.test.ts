// SPDX-License-Identifier: Apache-2.0
import { fromBase64, fromHex, toHex, utf8 } from '@medshare/crypto/bytes';
import { open } from '@medshare/crypto/sealed-box';
import { decrypt, privateKeyToPem, publicKeyFromPrivate } from '@medshare/crypto/sm2';
import { sm3 } from '@medshare/crypto/sm3';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  chainPayload,
  keyIdOf,
  newRequest,
  signFor,
  verifyFor,
  OPERATION_TABLE,
  type AnyRequest,
  type BodyOf,
  type ContractEnvelope,
  type KeyOperation,
} from '@medshare/protocol';
import { EmbeddedBackend } from '../../gateway/src/ledger/embedded';

/**
 * A ledger written before issue 7's refactor (test/fixtures/ledger-v1, see its README) is read,
 * and written to, by today's code with the same results.
 */
const FIXTURE = join(__dirname, '..', 'fixtures', 'ledger-v1');
const fixture = JSON.parse(readFileSync(join(FIXTURE, 'fixture.json'), 'utf8')) as {
  org: string;
  appId: string;
  t0: number;
  viewedAt: number;
  recordId: string;
  accessId: string;
  plaintext: string;
  expected: Record<'list-records' | 'list-grants' | 'read' | 'audit', unknown>;
};

function party(name: string): { privateKey: string; publicKey: string; keyId: string } {
  const privateKey = toHex(sm3(utf8(`medshare/test/ledger-v1/${name}`)));
  const publicKey = publicKeyFromPrivate(privateKey);
  return { privateKey, publicKey, keyId: keyIdOf(publicKey) };
}

const k3 = party('k3');
const k4 = party('k4');
const patient = party('patient');
const doctor = party('doctor');

describe('a ledger written before the refactor (ledger-v1)', () => {
  let dir: string;
  let backend: EmbeddedBackend;
  let now: number;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'medshare-ledger-v1-'));
    cpSync(join(FIXTURE, 'ledger'), join(dir, 'ledger'), { recursive: true });
    writeFileSync(join(dir, 'k4.pem'), privateKeyToPem(k4.privateKey), { mode: 0o600 });
    backend = await EmbeddedBackend.open(
      { type: 'embedded', dir: join(dir, 'ledger'), k4KeyFile: join(dir, 'k4.pem') },
      fixture.org,
    );
    // Within the view's access-ticket lifetime (10 minutes).
    now = fixture.viewedAt + 60_000;
    backend.ledger.clock = () => now;
  });

  afterEach(async () => {
    await backend.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function envelope<O extends KeyOperation>(op: O, author: typeof patient, body: BodyOf<O>): ContractEnvelope {
    now += 1000;
    const request: AnyRequest = newRequest({ op, body, appId: fixture.appId, keyId: author.keyId, now }) as AnyRequest;
    const sig1 = signFor('sig1', author, request);
    const sig3 = signFor('sig3', k3, chainPayload(request, sig1));
    return { request, sig1, sig3, k3Id: k3.keyId };
  }

  async function call<O extends KeyOperation>(
    kind: 'submit' | 'evaluate',
    op: O,
    author: typeof patient,
    body: BodyOf<O>,
  ): Promise<unknown> {
    expect(OPERATION_TABLE[op].call).toBe(kind);
    const out = JSON.parse(await backend.run(envelope(op, author, body))) as {
      response: { result: unknown };
      sig4: string;
    };
    expect(verifyFor('sig4', k4.publicKey, out.response, out.sig4)).toBe(true);
    return out.response.result;
  }

  const page = { pageSize: 10, bookmark: '' };

  it('replays to the same height and reads back exactly what the old code read', async () => {
    expect(backend.ledger.height).toBe(7);
    await expect(call('evaluate', 'list-records', patient, page)).resolves.toEqual(fixture.expected['list-records']);
    await expect(call('evaluate', 'list-grants', doctor, page)).resolves.toEqual(fixture.expected['list-grants']);
    await expect(
      call('evaluate', 'read', doctor, { recordId: fixture.recordId, accessId: fixture.accessId }),
    ).resolves.toEqual(fixture.expected.read);
    await expect(call('evaluate', 'audit', patient, { recordId: fixture.recordId, ...page })).resolves.toEqual(
      fixture.expected.audit,
    );
  });

  it('holds what its writers meant: the patient owns the record, the doctor can open it, the trail is upload, grant, view', async () => {
    const read = (await call('evaluate', 'read', doctor, {
      recordId: fixture.recordId,
      accessId: fixture.accessId,
    })) as Record<string, string>;
    expect(read.owner).toBe(patient.keyId);
    const dataKey = decrypt(doctor.privateKey, fromHex(read.keyWrap!));
    expect(Buffer.from(open(dataKey, fromBase64(read.ciphertext!))).toString('utf8')).toBe(fixture.plaintext);
    const audit = (await call('evaluate', 'audit', patient, { recordId: fixture.recordId, ...page })) as {
      items: Array<Record<string, string>>;
    };
    expect(audit.items.map((e) => [e.action, e.actorKeyId, e.subjectKeyId])).toEqual([
      ['upload', patient.keyId, undefined],
      ['grant', patient.keyId, doctor.keyId],
      ['view', doctor.keyId, undefined],
    ]);
  });

  it('takes new transactions: a second view by the doctor is appended to the old trail', async () => {
    const view = (await call('submit', 'view', doctor, { recordId: fixture.recordId })) as { accessId: string };
    expect(backend.ledger.height).toBe(8);
    const audit = (await call('evaluate', 'audit', patient, { recordId: fixture.recordId, ...page })) as {
      items: Array<Record<string, string>>;
    };
    expect(audit.items.slice(0, 3)).toEqual((fixture.expected.audit as { items: unknown[] }).items);
    expect(audit.items[3]).toMatchObject({ action: 'view', actorKeyId: doctor.keyId, txId: view.accessId });
  });
});
