// SPDX-License-Identifier: Apache-2.0
/**
 * The sharing-environment checks and the app-version policy on the real Fabric network
 * (docs/protocol.md §7.6, §7.7; issue #13 §4). Org1's admin sets the policy of Org1's apps with
 * scripts/admin/set-app-policy.sh: while it names a minimum above the SDK's version, a share and a
 * download through org1's gateway are refused with APP_VERSION_REFUSED naming the check, and
 * leave the grants and the audit trail as they were; an app stating an allowed version passes,
 * a revoke is never refused, and Org2's gateway is not bound by Org1's policy. Relaxed by the
 * script, the original app passes again once the gateway has read the policy again (it keeps it
 * 30 s); a deny list naming the SDK's version is then refused by the contract even while the
 * gateway still holds the open policy. A login through org2's gateway returns an assertion that
 * verifies offline. The network's policy for Org1 is set back as it was found (afterAll).
 * Alone: npm run jest -- test/e2e/environment-fabric.test.ts --selectProjects e2e
 */
import { utf8 } from '@medshare/crypto/bytes';
import { generateKeyPair } from '@medshare/crypto/sm2';
import { APP_VERSION, MedshareClient, loadAppConfig, type UserKey } from '@medshare/app';
import { MedshareError, keyIdOf, verifyLoginAssertion } from '@medshare/protocol';
import { admin, assertNetworkReady, startHospital, stopHospital, type Hospital } from './support/hospital';

assertNetworkReady();

interface Policy {
  org: string;
  minVersion?: string;
  denied: string[];
}

/** scripts/admin/set-app-policy.sh as Org1's admin; its printed policy. */
async function setOrg1Policy(minVersion: string, denied: string): Promise<Policy> {
  const set = await admin('set-app-policy.sh', 'org1', minVersion, denied);
  if (set.code !== 0) throw new Error(`set-app-policy.sh org1 failed (${String(set.code)}): ${set.stderr}`);
  return JSON.parse(set.stdout) as Policy;
}

async function showOrg1Policy(): Promise<Policy> {
  const shown = await admin('set-app-policy.sh', 'org1', '--show');
  if (shown.code !== 0) throw new Error(`set-app-policy.sh org1 --show failed: ${shown.stderr}`);
  return JSON.parse(shown.stdout) as Policy;
}

/** The coded refusal of a call (it must be refused with a MedshareError). */
async function refused(promise: Promise<unknown>): Promise<MedshareError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof MedshareError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

function expectAppVersionRefusal(error: MedshareError): void {
  expect(error.code).toBe('APP_VERSION_REFUSED');
  expect(error.detail).toMatch(/^check app-version: /);
}

const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

describe("the sharing environment on the Fabric network: Org1's app-version policy set by its admin", () => {
  let h1: Hospital | undefined;
  let h2: Hospital | undefined;
  let allowed: MedshareClient | undefined;
  let found: Policy | undefined;
  const patient: UserKey = generateKeyPair();
  const doctor: UserKey = generateKeyPair();
  const earlier: UserKey = generateKeyPair();
  const doctorId = keyIdOf(doctor.publicKey);
  const earlierId = keyIdOf(earlier.publicKey);
  let recordId = '';
  // Above the SDK's own version: the SDK's requests are refused, an app stating it passes.
  const minimum = `${String(Number(APP_VERSION.split('.')[0]) + 1)}.0.0`;

  const one = (): Hospital => h1 as Hospital;
  const two = (): Hospital => h2 as Hospital;

  /** What a refused share or download must leave as it was: the grants and the owner's audit trail. */
  const snapshot = async (): Promise<unknown> => ({
    audit: (await one().client.audit(patient, recordId)).items,
    doctor: (await one().client.listGrants(doctor)).items,
    earlier: (await one().client.listGrants(earlier)).items,
  });

  /** Retries `call` while org1's gateway still refuses the SDK's version from the policy it keeps (at most 30 s). */
  async function onceThePolicyIsRead<T>(call: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + 45_000;
    for (;;) {
      try {
        return await call();
      } catch (error) {
        if (!(error instanceof MedshareError) || error.code !== 'APP_VERSION_REFUSED' || Date.now() > deadline)
          throw error;
        await sleep(2_000);
      }
    }
  }

  beforeAll(async () => {
    [h1, h2] = await Promise.all([startHospital('org1'), startHospital('org2')]);
    found = await showOrg1Policy();
    expect(found.org).toBe('Org1MSP');
    const c1 = one().client;
    await c1.register(patient, 'patient');
    for (const d of [doctor, earlier]) {
      expect(await c1.register(d, 'doctor')).toMatchObject({ status: 'pending', org: 'Org1MSP' });
      expect((await admin('approve-user.sh', 'org1', keyIdOf(d.publicKey))).code).toBe(0);
    }
    ({ recordId } = await c1.upload(patient, { content: utf8('{"diagnosis":"E11.9 type 2 diabetes"}'), kind: 'note' }));
    // A grant made before the policy (through org2's gateway: org1's has read no policy yet), to revoke under it.
    await two().client.grant(patient, recordId, earlierId);
    const app = loadAppConfig(one().layout.appConfig);
    allowed = new MedshareClient({
      ...app.client,
      trustedContractKeys: [one().layout.k4PublicKey],
      appVersion: minimum,
    });
  }, 180_000);

  afterAll(async () => {
    allowed?.close();
    try {
      // The other e2e suites share the network: Org1's policy goes back to what this suite found.
      if (found) await setOrg1Policy(found.minVersion ?? '', found.denied.join(','));
    } finally {
      await Promise.all([stopHospital(h1), stopHospital(h2)]);
    }
  }, 120_000);

  it("org1's admin sets a minimum above the SDK's version with set-app-policy.sh; --show reads it back", async () => {
    const set = await setOrg1Policy(minimum, '');
    expect(set).toMatchObject({ org: 'Org1MSP', minVersion: minimum, denied: [] });
    expect(await showOrg1Policy()).toEqual(set);
    // A malformed version is refused by the script (usage, exit 2), a leading zero by the contract (exit 1): nothing written.
    expect((await admin('set-app-policy.sh', 'org1', '1.0', '')).code).toBe(2);
    const zero = await admin('set-app-policy.sh', 'org1', '01.0.0', '');
    expect(zero.code).toBe(1);
    expect(zero.stderr).toContain('INVALID_INPUT');
    expect(await showOrg1Policy()).toEqual(set);
    // The script acts on the policy of the admin's own org: org2's is Org2MSP's.
    const org2 = await admin('set-app-policy.sh', 'org2', '--show');
    expect(org2.code).toBe(0);
    expect((JSON.parse(org2.stdout) as Policy).org).toBe('Org2MSP');
  }, 60_000);

  it("a share and a download through org1's gateway are refused with APP_VERSION_REFUSED; nothing changes", async () => {
    const before = await snapshot();
    // The SDK's grant starts with the owner's audited view (to re-wrap the data key): the policy refuses
    // the share there, before the grant is sent, and the view's audit entry is not written either.
    const share = await refused(one().client.grant(patient, recordId, doctorId));
    expectAppVersionRefusal(share);
    expect(share.detail).toContain(minimum);
    const download = await refused(one().client.view(earlier, recordId));
    expectAppVersionRefusal(download);
    expect(await snapshot()).toEqual(before);
    expect((await one().client.listGrants(doctor)).items).toEqual([]);
    // Org1's policy binds Org1's apps only: the same download through org2's gateway passes.
    expect(Buffer.from((await two().client.view(earlier, recordId)).content).toString()).toContain('diabetes');
  }, 60_000);

  it('an app stating an allowed version (ClientOptions.appVersion) shares and downloads through org1', async () => {
    const c = allowed as MedshareClient;
    await c.grant(patient, recordId, doctorId);
    expect(Buffer.from((await c.view(doctor, recordId)).content).toString()).toContain('diabetes');
    expect((await one().client.listGrants(doctor)).items.map((g) => g.recordId)).toEqual([recordId]);
  }, 60_000);

  it('a revoke through org1 by the refused app is never refused by the policy', async () => {
    await one().client.revoke(patient, recordId, earlierId);
    expect((await one().client.listGrants(earlier)).items).toEqual([]);
    const audit = (await one().client.audit(patient, recordId)).items;
    expect(audit.at(-1)).toMatchObject({ action: 'revoke', org: 'Org1MSP' });
  }, 60_000);

  it('relaxed again by the script, the original app passes once the gateway reads the policy again', async () => {
    expect(await setOrg1Policy('', '')).toEqual({ org: 'Org1MSP', denied: [], setAt: expect.any(Number) });
    const view = await onceThePolicyIsRead(() => one().client.view(doctor, recordId));
    expect(Buffer.from(view.content).toString()).toContain('diabetes');
  }, 90_000);

  it("a deny list naming the SDK's version: the contract refuses even before the gateway reads it", async () => {
    const set = await setOrg1Policy('', `${APP_VERSION}+rebuilt,${minimum}-rc.1`);
    expect(set.denied).toEqual([`${APP_VERSION}+rebuilt`, `${minimum}-rc.1`]);
    const before = await snapshot();
    // org1's gateway read the open policy less than 30 s ago: the contract, on the ledger's policy, refuses.
    expectAppVersionRefusal(await refused(one().client.view(doctor, recordId)));
    expectAppVersionRefusal(await refused(one().client.grant(patient, recordId, earlierId)));
    expect(await snapshot()).toEqual(before);
    // The allowed app's version is not denied (a pre-release of 2.0.0 is not 2.0.0).
    expect(Buffer.from((await (allowed as MedshareClient).view(doctor, recordId)).content).toString()).toContain(
      'diabetes',
    );
    await setOrg1Policy('', '');
    await onceThePolicyIsRead(() => one().client.view(doctor, recordId));
  }, 120_000);

  it("login through org2's gateway returns an assertion that verifies offline", async () => {
    const signed = await two().client.login(patient);
    const check = { trustedAccessKeys: [two().layout.k3PublicKey], appId: 'hospital-2.app', now: Date.now() };
    expect(verifyLoginAssertion(signed, check)).toMatchObject({
      keyId: keyIdOf(patient.publicKey),
      role: 'patient',
      userOrg: 'Org1MSP',
      gatewayOrg: 'Org2MSP',
      appId: 'hospital-2.app',
    });
    // Not for another app, and not under a K3 the verifier does not trust (org1's).
    expect(() => verifyLoginAssertion(signed, { ...check, appId: 'hospital-1.app' })).toThrow(
      /LOGIN_ASSERTION_INVALID/,
    );
    expect(() => verifyLoginAssertion(signed, { ...check, trustedAccessKeys: [one().layout.k3PublicKey] })).toThrow(
      /LOGIN_ASSERTION_INVALID/,
    );
  }, 60_000);
});
