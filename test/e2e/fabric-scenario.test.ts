// SPDX-License-Identifier: Apache-2.0
import { utf8 } from '@medshare/crypto/bytes';
import { generateKeyPair } from '@medshare/crypto/sm2';
/**
 * The demo scenario on the real Fabric network (two hospitals, AND endorsement policy, CCaaS):
 * two gateways (Org1MSP, Org2MSP) with the Fabric backend, K3s registered by each org's admin
 * with scripts/admin/, doctor approval with scripts/admin/approve-user.sh, the record path
 * through the SDK (sig4 checked against the chaincode server's K4), the admin audit trail, and
 * K3 retirement. The e2e project's globalSetup (test/e2e/network-setup.js) brings the network
 * up, ready, before this runs: `npm run test:e2e`.
 */
import type { UserKey } from '@medshare/app';
import { keyIdOf, type DeliveredEvent } from '@medshare/protocol';
import { admin, assertNetworkReady, refusal, startHospital, stopHospital, type Hospital } from './support/hospital';

assertNetworkReady();

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

async function timed<T>(samples: number[], run: () => Promise<T>): Promise<T> {
  const start = performance.now();
  const result = await run();
  samples.push(performance.now() - start);
  return result;
}

describe('the demo scenario on the Fabric network (two gateways, scripts/admin, CCaaS)', () => {
  let h1: Hospital | undefined;
  let h2: Hospital | undefined;
  const patient: UserKey = generateKeyPair();
  const doctor: UserKey = generateKeyPair();
  const doctorId = keyIdOf(doctor.publicKey);
  let recordId = '';

  beforeAll(async () => {
    [h1, h2] = await Promise.all([startHospital('org1'), startHospital('org2')]);
  }, 120_000);

  afterAll(async () => {
    await Promise.all([stopHospital(h1), stopHospital(h2)]);
  }, 60_000);

  it('a doctor registers through Org1 and only an Org1 admin can approve it', async () => {
    const c1 = (h1 as Hospital).client;
    expect(await c1.register(doctor, 'doctor')).toMatchObject({ status: 'pending', org: 'Org1MSP' });
    const other = await admin('approve-user.sh', 'org2', doctorId);
    expect(other.code).toBe(1);
    expect(other.stderr).toContain('NOT_ORG_ADMIN');
    const ok = await admin('approve-user.sh', 'org1', doctorId);
    expect(ok.code).toBe(0);
    expect(await c1.directory(doctorId)).toMatchObject({ status: 'active', role: 'doctor' });
    expect((await admin('approve-user.sh', 'org1', doctorId)).stdout).toContain('nothing to do');
  }, 60_000);

  it('upload, grant, view through both hospitals, revoke, refused view, audit', async () => {
    const c1 = (h1 as Hospital).client;
    const c2 = (h2 as Hospital).client;
    await c1.register(patient, 'patient');
    // Fabric returns no pagination metadata for an empty range: still an empty page, not INTERNAL.
    expect(await c1.listRecords(patient)).toEqual({ items: [], bookmark: '' });
    expect((await c2.listGrants(doctor)).items).toEqual([]);
    ({ recordId } = await c1.upload(patient, {
      content: utf8('{"diagnosis":"J45.909 mild persistent asthma"}'),
      kind: 'clinical-note',
    }));
    expect(await refusal(c1.view(doctor, recordId))).toBe('NOT_AUTHORIZED');
    await c1.grant(patient, recordId, doctorId);
    expect(Buffer.from((await c1.view(doctor, recordId)).content).toString()).toContain('asthma');
    // Hospital 2's access layer: its own K3, its own Fabric client identity, the same ledger.
    expect(Buffer.from((await c2.view(doctor, recordId)).content).toString()).toContain('asthma');
    expect((await c2.listGrants(doctor)).items.map((g) => g.recordId)).toContain(recordId);
    await c2.revoke(patient, recordId, doctorId);
    expect(await refusal(c1.view(doctor, recordId))).toBe('NOT_AUTHORIZED');
    expect(await refusal(c2.revoke(patient, recordId, doctorId))).toBe('GRANT_NOT_FOUND');

    const audit = await c1.audit(patient, recordId);
    expect(audit.items.map((e) => e.action)).toEqual(['upload', 'view', 'grant', 'view', 'view', 'revoke']);
    expect(audit.items.map((e) => e.org)).toEqual(['Org1MSP', 'Org1MSP', 'Org1MSP', 'Org1MSP', 'Org2MSP', 'Org2MSP']);
    // paginated through bookmarks: the same entries two at a time
    const paged: string[] = [];
    let bookmark = '';
    for (let i = 0; i < 10; i++) {
      const page = await c2.audit(patient, recordId, { pageSize: 2, bookmark });
      paged.push(...page.items.map((e) => e.txId));
      bookmark = page.bookmark;
      if (!bookmark) break;
    }
    expect(paged).toEqual(audit.items.map((e) => e.txId));
  }, 120_000);

  it("the owner's access notifications come from Fabric's chaincode events, the same ids through both gateways", async () => {
    const collect = async (h: Hospital): Promise<DeliveredEvent[]> => {
      const out: DeliveredEvent[] = [];
      // follow until the six audited transactions of the previous test have all been delivered
      const controller = new AbortController();
      for await (const e of h.client.events(patient, { signal: controller.signal })) {
        if (e.recordId === recordId) out.push(e);
        if (out.length === 6) controller.abort();
      }
      return out;
    };
    const [via1, via2] = await Promise.all([collect(h1 as Hospital), collect(h2 as Hospital)]);
    expect(via1.map((e) => e.action)).toEqual(['upload', 'view', 'grant', 'view', 'view', 'revoke']);
    expect(via1.map((e) => e.org)).toEqual(['Org1MSP', 'Org1MSP', 'Org1MSP', 'Org1MSP', 'Org2MSP', 'Org2MSP']);
    // ids come from the ledger (block-index), so both access layers name each event alike
    expect(via2.map((e) => e.id)).toEqual(via1.map((e) => e.id));
    expect(via2.map((e) => e.txId)).toEqual(via1.map((e) => e.txId));
    // the doctor, who owns no record, sees none of the patient's events
    const doctorEvents: DeliveredEvent[] = [];
    for await (const e of (h1 as Hospital).client.events(doctor, { follow: false })) doctorEvents.push(e);
    expect(doctorEvents).toEqual([]);
  }, 60_000);

  it('the record org admin reads the audit trail with scripts/admin/audit-trail.sh; the other org may not', async () => {
    const mine = await admin('audit-trail.sh', '--json', 'org1', recordId, '2');
    expect(mine.code).toBe(0);
    expect((JSON.parse(mine.stdout) as { action: string }[]).map((e) => e.action)).toEqual([
      'upload',
      'view',
      'grant',
      'view',
      'view',
      'revoke',
    ]);
    const theirs = await admin('audit-trail.sh', 'org2', recordId);
    expect(theirs.code).toBe(1);
    expect(theirs.stderr).toContain('NOT_ORG_ADMIN');
    expect((await admin('audit-trail.sh', 'org1', 'f'.repeat(64))).stderr).toContain('RECORD_NOT_FOUND');
  }, 60_000);

  it('concurrent uploads by one patient all commit (no MVCC conflict); latency of upload and view', async () => {
    const c1 = (h1 as Hospital).client;
    const results = await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        c1.upload(patient, { content: utf8(`{"n":${String(i)}}`), kind: 'lab-result' }),
      ),
    );
    expect(new Set(results.map((r) => r.recordId)).size).toBe(5);
    const uploads: number[] = [];
    const views: number[] = [];
    for (let i = 0; i < 5; i++) {
      const { recordId: id } = await timed(uploads, () =>
        c1.upload(patient, { content: utf8(`{"seq":${String(i)}}`), kind: 'lab-result' }),
      );
      await timed(views, () => c1.view(patient, id));
    }
    process.stdout.write(
      `fabric latency (ms, median of 5, sequential, via ${(h1 as Hospital).org} gateway): upload ${median(uploads).toFixed(0)}, view ${median(views).toFixed(0)}; ` +
        `uploads [${uploads.map((v) => v.toFixed(0)).join(', ')}], views [${views.map((v) => v.toFixed(0)).join(', ')}]\n`,
    );
  }, 120_000);

  it('after an org admin retires its K3, requests signed with it are refused (ACCESS_KEY_NOT_VALID)', async () => {
    const k3Id = keyIdOf((h2 as Hospital).layout.k3PublicKey);
    const retired = await admin('retire-access-key.sh', 'org2', k3Id);
    expect(retired.code).toBe(0);
    expect(await refusal((h2 as Hospital).client.view(patient, recordId))).toBe('ACCESS_KEY_NOT_VALID');
    expect((await admin('retire-access-key.sh', 'org2', k3Id)).code).toBe(0);
    const k1 = await admin('retire-access-key.sh', 'org1', keyIdOf((h1 as Hospital).layout.k3PublicKey));
    expect(k1.code).toBe(0);
  }, 60_000);
});
