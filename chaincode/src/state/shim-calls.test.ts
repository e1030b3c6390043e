// SPDX-License-Identifier: Apache-2.0
import { toHex } from '@medshare/crypto/bytes';
import { encrypt } from '@medshare/crypto/sm2';
import { OPERATION_TABLE, qualifiedName, type BodyOf, type KeyOperation } from '@medshare/protocol';
import { Harness, ORG1, ORG2, type Party } from '../testing/harness';
import { countedCall, tally, type ShimCall } from '../testing/shim-calls';

/**
 * The stub calls each hot operation makes (issue 11): on Fabric every getState / putState /
 * deleteState is a round trip to the peer, costing both the chaincode server and the peer, so a
 * change that adds one shows here. `reads` and `writes` list the object types of the keys, in
 * call order (composite keys: `medshare.<type>`).
 */
async function counted<O extends KeyOperation>(
  h: Harness,
  op: O,
  author: Party,
  body: BodyOf<O>,
  org = ORG1,
): Promise<{ counts: Record<string, number>; reads: string[]; writes: string[] }> {
  const row = OPERATION_TABLE[op];
  const envelope = h.envelope(h.request(op, author, body), author, org);
  const calls = await countedCall(h, qualifiedName(row), envelope, row.call === 'submit', h.client(org));
  const type = (c: ShimCall): string => (c.key ?? '').split('|')[1] ?? (c.key as string);
  return {
    counts: tally(calls),
    reads: calls.filter((c) => c.method === 'getState').map(type),
    writes: calls.filter((c) => c.method === 'putState' || c.method === 'deleteState').map(type),
  };
}

describe('shim calls per transaction (the round trips to the peer)', () => {
  let h: Harness;
  let patient: Party;
  let doctor: Party;
  let recordId: string;

  beforeAll(async () => {
    h = await Harness.create();
    patient = await h.registerPatient();
    doctor = await h.registerDoctor(ORG2);
    ({ recordId } = await h.upload(patient));
    const { dataKey } = h.sealedRecord(patient);
    await h.act('grant', patient, {
      recordId,
      granteeKeyId: doctor.keyId,
      keyWrap: toHex(encrypt(doctor.publicKey, dataKey)),
    });
  });

  it('upload: 4 reads (K3, nonce, pseudonym, owner), 6 writes, one event', async () => {
    const { counts, reads, writes } = await counted(h, 'upload', patient, h.sealedRecord(patient).body);
    expect(counts).toEqual({
      getState: 4,
      putState: 6,
      getTxID: 6,
      getTxTimestamp: 2,
      getCreator: 1,
      setEvent: 1,
      createCompositeKey: 10,
    });
    expect(reads).toEqual(['medshare.k3', 'medshare.nonce', 'medshare.pseudonym', 'medshare.user']);
    expect(writes).toEqual([
      'medshare.nonce',
      'medshare.record',
      'medshare.owner-record',
      'medshare.record-data',
      'medshare.patient-record',
      'medshare.audit',
    ]);
  });

  it("view by the owner: the owner's entry read once, as author and as holder", async () => {
    const { counts, reads, writes } = await counted(h, 'view', patient, { recordId });
    // Before the per-transaction read cache: 6 reads, the owner's entry twice (author, holder).
    expect(counts).toMatchObject({ getState: 5, putState: 3 });
    expect(reads).toEqual(['medshare.k3', 'medshare.nonce', 'medshare.record', 'medshare.user', 'medshare.app-policy']);
    expect(writes).toEqual(['medshare.nonce', 'medshare.access', 'medshare.audit']);
  });

  it('view by a grantee: the grant, the grantee (once, as author and receiver) and the owner', async () => {
    const { counts, reads } = await counted(h, 'view', doctor, { recordId }, ORG2);
    // Before: 8, the grantee's entry twice (author, receiver).
    expect(counts).toMatchObject({ getState: 7, putState: 3 });
    expect(reads).toEqual([
      'medshare.k3',
      'medshare.nonce',
      'medshare.record',
      'medshare.grant',
      'medshare.user',
      'medshare.app-policy',
      'medshare.user',
    ]);
  });

  it("read by the owner: no write, the owner's entry once", async () => {
    const view = await h.act('view', patient, { recordId });
    const { counts, reads, writes } = await counted(h, 'read', patient, {
      recordId,
      accessId: view.accessId as string,
    });
    // Before: 7, the owner's entry twice.
    expect(counts).toEqual({ getState: 6, getTxID: 3, getTxTimestamp: 2, getCreator: 1, createCompositeKey: 7 });
    expect(reads).toEqual([
      'medshare.k3',
      'medshare.record',
      'medshare.user',
      'medshare.app-policy',
      'medshare.access',
      'medshare.record-data',
    ]);
    expect(writes).toEqual([]);
  });

  it('grant and revoke: the owner, the policy, the grantee', async () => {
    const other = await h.registerDoctor(ORG2);
    const keyWrap = toHex(encrypt(other.publicKey, h.sealedRecord(patient).dataKey));
    const grant = await counted(h, 'grant', patient, { recordId, granteeKeyId: other.keyId, keyWrap });
    // Before: 7, the owner's entry twice (owner, holder).
    expect(grant.counts).toMatchObject({ getState: 6, putState: 4 });
    expect(grant.reads).toEqual([
      'medshare.k3',
      'medshare.nonce',
      'medshare.record',
      'medshare.user',
      'medshare.app-policy',
      'medshare.user',
    ]);
    expect(grant.writes).toEqual(['medshare.nonce', 'medshare.grant', 'medshare.grantee-record', 'medshare.audit']);
    const revoke = await counted(h, 'revoke', patient, { recordId, granteeKeyId: other.keyId });
    expect(revoke.counts).toMatchObject({ getState: 5, putState: 2, deleteState: 2 });
    expect(revoke.reads).toEqual([
      'medshare.k3',
      'medshare.nonce',
      'medshare.record',
      'medshare.user',
      'medshare.grant',
    ]);
  });
});
