// SPDX-License-Identifier: Apache-2.0
import { toHex, utf8 } from '@medshare/crypto/bytes';
import { ringSign } from '@medshare/crypto/ring';
import { generateKeyPair, type Sm2KeyPair } from '@medshare/crypto/sm2';
import { openExtract, signingRing, type MedshareClient } from '@medshare/app';
import {
  canonicalize,
  chainPayload,
  keyIdOf,
  newRingRequest,
  ringScope,
  signFor,
  signedBytes,
  type AnyRequest,
  type RingRequest,
  type StudyDefinition,
} from '@medshare/protocol';
import type { LedgerBackend } from '../../gateway/src/ledger/backend';
import { APP, GatewayFixture, withRun } from '../../gateway/src/testing/fixture';
import { rawSession, sealFor } from '../../gateway/src/testing/raw-session';

/**
 * The research path through the gateway on the embedded runtime (docs/protocol.md §19): the SDK's
 * calls, sealed and signed, checked by the access layer, run by the chaincode on fabric-sim.
 */
const STUDY: StudyDefinition = {
  title: 'Hypertension in adults',
  fields: [
    { field: 'age', rule: 'band', width: 5 },
    { field: 'obs.8480-6', rule: 'band', width: 10 },
  ],
  k: 2,
};

const extractOf = (studyId: string, age: string): Uint8Array =>
  utf8(canonicalize({ v: 1, studyId, values: { age, 'obs.8480-6': '130-<140' } }));

describe('research through the gateway (embedded runtime)', () => {
  let f: GatewayFixture;
  let client: MedshareClient;
  let runs = 0;
  const institution = generateKeyPair();
  const rival = generateKeyPair();
  const patients: Sm2KeyPair[] = Array.from({ length: 6 }, () => generateKeyPair());
  let studyId: string;

  beforeAll(async () => {
    const counting = (inner: LedgerBackend): LedgerBackend =>
      withRun(inner, (envelope) => {
        runs += 1;
        return inner.run(envelope);
      });
    f = await GatewayFixture.create({ ledger: counting });
    client = f.client();
    for (const p of patients) await client.register(p, 'patient');
    for (const i of [institution, rival]) {
      await client.register(i, 'institution');
      await f.ledger.orgAdmin().approveUser(keyIdOf(i.publicKey));
    }
    ({ studyId } = await client.publishStudy(institution, STUDY));
  });

  afterAll(async () => {
    client.close();
    await f.close();
  });

  const institutionKeyId = (): string => keyIdOf(institution.publicKey);
  const ringOf = (members: Sm2KeyPair[]): string[] => members.map((m) => m.publicKey);

  async function extracts(): Promise<string[]> {
    const page = await client.readAccessList(institution, studyId, { pageSize: 100 });
    return page.entries.map((e) => Buffer.from(openExtract(e, studyId, institution)).toString('utf8')).sort();
  }

  it('profile and the append-only record list, through the SDK', async () => {
    const [patient] = patients as [Sm2KeyPair];
    await client.updateProfile(patient, utf8('{"name":"kept sealed","sex":"female"}'));
    const { profile } = await client.getProfile(patient);
    expect(Buffer.from(profile).toString('utf8')).toBe('{"name":"kept sealed","sex":"female"}');
    // the ledger holds it sealed only
    const ledger = f.ledger.ledger.entries().map(([, v]) => Buffer.from(v).toString('utf8'));
    expect(ledger.join('\n')).not.toContain('kept sealed');
    const { recordId } = await client.upload(patient, { content: utf8('{"age":37}'), kind: 'lab-result' });
    const list = await client.listPatientRecords(patient);
    expect(list.records.map((r) => r.recordId)).toEqual([recordId]);
    expect((await client.listPatients(institution)).patients).toHaveLength(patients.length);
  });

  it('a warrant reaches the institution, opens only for it, and leaves with the unwarrant', async () => {
    const patient = patients[1] as Sm2KeyPair;
    const { recordId } = await client.upload(patient, { content: utf8('{"age":41}'), kind: 'lab-result' });
    await client.warrant(patient, {
      recordId,
      studyId,
      institutionKeyId: institutionKeyId(),
      extract: extractOf(studyId, '40-44'),
    });
    expect(await extracts()).toContain(
      canonicalize({ v: 1, studyId, values: { age: '40-44', 'obs.8480-6': '130-<140' } }),
    );
    expect((await client.recordAuthorizations(patient, recordId)).institutions).toEqual([
      { institutionKeyId: institutionKeyId(), studyId, warrantedAt: expect.any(Number) },
    ]);
    const before = f.snapshot();
    await expect(client.readAccessList(rival, studyId)).rejects.toMatchObject({ code: 'ACCESS_LIST_FORBIDDEN' });
    await expect(client.readAccessList(patient, studyId)).rejects.toMatchObject({ code: 'ACCESS_LIST_FORBIDDEN' });
    expect(f.snapshot()).toBe(before);
    await client.unwarrant(patient, { recordId, studyId, institutionKeyId: institutionKeyId() });
    expect((await extracts()).filter((e) => e.includes('40-44'))).toEqual([]);
  });

  it('an anonymous contribution; the same patient again (another ring) is refused; withdrawal by the tag', async () => {
    const [, , a, b, c, d] = patients as [Sm2KeyPair, Sm2KeyPair, Sm2KeyPair, Sm2KeyPair, Sm2KeyPair, Sm2KeyPair];
    const study = { studyId, institutionKeyId: institutionKeyId() };
    const done = await client.contribute(a, {
      study,
      ring: ringOf([a, b, c, d]),
      extract: extractOf(studyId, '30-34'),
    });
    expect(done.keyImage).toMatch(/^0[23][0-9a-f]{64}$/);
    expect(await extracts()).toContain(
      canonicalize({ v: 1, studyId, values: { age: '30-34', 'obs.8480-6': '130-<140' } }),
    );

    const before = f.snapshot();
    const other = [a, patients[0], patients[1], d] as Sm2KeyPair[];
    await expect(
      client.contribute(a, { study, ring: ringOf(other), extract: extractOf(studyId, '30-34') }),
    ).rejects.toMatchObject({ code: 'LINK_TAG_REUSED' });
    expect(f.snapshot()).toBe(before);

    await client.replaceContribution(a, { study, ring: ringOf([a, c, d, b]), extract: extractOf(studyId, '35-39') });
    expect((await extracts()).some((e) => e.includes('35-39'))).toBe(true);
    await client.withdrawContribution(a, { studyId, ring: ringOf(other) });
    expect((await extracts()).filter((e) => e.includes('35-39') || e.includes('30-34'))).toEqual([]);
  });

  /** A ring request sealed by hand, as the SDK would make it, for what the SDK never sends. */
  async function sendRaw(request: AnyRequest, sig1: string): Promise<{ statusCode: number; code?: string }> {
    const session = await rawSession(f);
    const envelope = {
      request,
      sig1,
      sig2: signFor('sig2', f.keys.k2[0] as Sm2KeyPair, chainPayload(request, sig1)),
      k2Id: keyIdOf((f.keys.k2[0] as Sm2KeyPair).publicKey),
    };
    const res = await f.app.inject({
      method: 'POST',
      url: '/v1/requests',
      remoteAddress: '127.0.0.1',
      headers: { 'x-medshare-session': session.sessionId },
      payload: sealFor(session, envelope),
    });
    return {
      statusCode: res.statusCode,
      ...(res.statusCode === 200 ? {} : { code: res.json<{ code: string }>().code }),
    };
  }

  function signedRing(
    signer: Sm2KeyPair,
    members: Sm2KeyPair[],
  ): { request: RingRequest<'contribution-withdraw'>; sig1: string } {
    const ring = signingRing(signer, ringOf(members), studyId);
    const request = newRingRequest({
      op: 'contribution-withdraw',
      body: { studyId },
      appId: APP,
      ring: ring.author,
      now: f.now,
    });
    const sig1 = ringSign({
      message: signedBytes('sig1', request),
      scope: ringScope(studyId),
      ring: ring.keys,
      signer: ring.signer,
      privateKey: signer.privateKey,
    });
    return { request: request, sig1: toHex(sig1) };
  }

  it('the gateway refuses a malformed ring before the ledger, and a replayed ring request by its link tag', async () => {
    const [a, b, c, d] = patients as [Sm2KeyPair, Sm2KeyPair, Sm2KeyPair, Sm2KeyPair];
    const { request, sig1 } = signedRing(a, [a, b, c, d]);
    const members = [...request.ring.members];
    const before = runs;
    const tooFew = { ...request, ring: { ...request.ring, members: members.slice(0, 3) } };
    await expect(sendRaw(tooFew, sig1.slice(0, -64))).resolves.toEqual({ statusCode: 400, code: 'RING_SIZE_INVALID' });
    const twice = { ...request, ring: { ...request.ring, members: [members[0], ...members.slice(0, 3)] as string[] } };
    await expect(sendRaw(twice, sig1)).resolves.toEqual({ statusCode: 400, code: 'RING_MEMBER_DUPLICATE' });
    expect(runs).toBe(before);

    // a genuine withdrawal of nothing reaches the ledger once (CONTRIBUTION_NOT_FOUND); the same
    // request again is refused by the gateway's replay cache, keyed by the ring actor
    await expect(sendRaw(request, sig1)).resolves.toEqual({ statusCode: 404, code: 'CONTRIBUTION_NOT_FOUND' });
    expect(runs).toBe(before + 1);
    await expect(sendRaw(request, sig1)).resolves.toEqual({ statusCode: 409, code: 'NONCE_REPLAYED' });
    expect(runs).toBe(before + 1);
  });
});
