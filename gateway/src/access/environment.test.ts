// SPDX-License-Identifier: Apache-2.0
import { toHex } from '@medshare/crypto/bytes';
import { encrypt, generateKeyPair, type Sm2KeyPair } from '@medshare/crypto/sm2';
import { fabricIdentity } from '@medshare/fabric-sim';
import { canonicalize, chainPayload, keyIdOf, signFor, type EnvironmentOperation } from '@medshare/protocol';
import { APP, GatewayFixture, ORG, party } from '../testing/fixture';
import { withRun } from '../testing/ledger-wrapper';
import { rawSession, sealFor, type RawSession } from '../testing/raw-session';
import { sealedInject } from '../testing/sealed-requests';

/**
 * The access layer's side of the environment check (docs/protocol.md §7.6): every share and
 * download of records and files refused by each check on its own, with its code and a message
 * naming the check, before the ledger is asked anything (no signature-chain call) and with the
 * ledger unchanged.
 */

type Party = Sm2KeyPair & { keyId: string };
const hex = (byte: string, n = 32): string => byte.repeat(n);
// A real SM2 ciphertext: the request parser checks that a key wrap's C1 is on the curve.
const KEY_WRAP = toHex(encrypt(generateKeyPair().publicKey, new Uint8Array(32).fill(7)));
const SEALED_FRAGMENT = `04${hex('cd', 290)}`;

interface World {
  readonly f: GatewayFixture;
  readonly runs: () => number;
  readonly patient: Party;
  readonly doctor: Party;
  readonly pending: Party;
  s: RawSession;
}

/** A well-formed body for each guarded operation; a share names `receiver`. */
function bodyOf(op: EnvironmentOperation, receiver: string): unknown {
  switch (op) {
    case 'grant':
      return { recordId: hex('11'), granteeKeyId: receiver, keyWrap: KEY_WRAP };
    case 'view':
      return { recordId: hex('11') };
    case 'read':
      return { recordId: hex('11'), accessId: hex('22') };
    case 'file-share':
      return {
        fileId: hex('33'),
        receiverKeyId: receiver,
        threshold: 1,
        fragments: [{ proxyId: hex('44'), fragmentId: hex('55'), sealedFragment: SEALED_FRAGMENT }],
      };
    case 'file-view':
      return { fileId: hex('33'), capsuleFragments: [] };
    default:
      return { fileId: hex('33') };
  }
}

const OPS: readonly EnvironmentOperation[] = [
  'grant',
  'view',
  'read',
  'file-share',
  'file-get',
  'file-fragments',
  'file-view',
];
const SHARES: readonly EnvironmentOperation[] = ['grant', 'file-share'];
const DOWNLOADS = OPS.filter((op) => !SHARES.includes(op));

interface Options {
  readonly author?: Party;
  readonly receiver?: string;
  readonly appVersion?: string | null;
  readonly skewMs?: number;
  readonly k2?: Sm2KeyPair;
}

/** A sealed, signed request as the SDK makes it (appVersion 1.5.0 unless told), on the world's raw session. */
function sealed(w: World, op: EnvironmentOperation, o: Options = {}): { sessionId: string; ciphertext: string } {
  const author = o.author ?? w.patient;
  const k2 = o.k2 ?? w.f.keys.k2[0];
  if (!k2) throw new Error('the fixture has no K2');
  const issuedAt = w.f.now + (o.skewMs ?? 0);
  const appVersion = o.appVersion === undefined ? '1.5.0' : o.appVersion;
  const request = {
    v: 1,
    op,
    body: bodyOf(op, o.receiver ?? w.doctor.keyId),
    nonce: generateKeyPair().privateKey.slice(0, 32),
    issuedAt,
    expiresAt: issuedAt + 120_000,
    appId: APP,
    keyId: author.keyId,
    ...(appVersion === null ? {} : { appVersion }),
  };
  const sig1 = signFor('sig1', author, request);
  return sealFor(w.s, {
    request,
    sig1,
    sig2: signFor('sig2', k2, chainPayload(request as never, sig1)),
    k2Id: keyIdOf(k2.publicKey),
  });
}

/** Sends and expects the gateway to refuse with `code`, naming `check`, without a ledger call and with the ledger unchanged. */
async function refusedBefore(
  w: World,
  body: { sessionId: string; ciphertext: string },
  code: string,
  check: string,
  remoteAddress = '127.0.0.1',
): Promise<void> {
  const [before, runs] = [w.f.snapshot(), w.runs()];
  const res = await w.f.app.inject({ ...sealedInject(body), remoteAddress });
  expect({ code: res.json<{ code: string }>().code, message: res.json<{ message: string }>().message }).toEqual({
    code,
    message: expect.stringMatching(new RegExp(`^check ${check}: `)),
  });
  expect(w.runs()).toBe(runs);
  expect(w.f.snapshot()).toBe(before);
}

/** Writes a user's registry entry with another status: a state no transaction makes today (a suspension). */
async function setStatus(f: GatewayFixture, user: Party, status: string): Promise<() => Promise<void>> {
  const key = `\u0000medshare.user\u0000${user.keyId}\u0000`;
  const before = f.ledger.ledger.get(key)?.value;
  if (!before) throw new Error('no such user');
  const write = (bytes: Uint8Array): Promise<unknown> =>
    f.ledger.ledger.submit(fabricIdentity(ORG), (ctx) => ctx.stub.putState(key, bytes));
  await write(Buffer.from(canonicalize({ ...(JSON.parse(Buffer.from(before).toString()) as object), status })));
  // An active entry is kept (ACTIVE_PARTY_TTL_MS): no transaction changes one, this test does.
  f.accessLayer.environment?.forgetParties();
  return async () => {
    await write(before);
    f.accessLayer.environment?.forgetParties();
  };
}

describe('environment checks at the access layer, before the ledger', () => {
  let w: World;
  beforeAll(async () => {
    let runs = 0;
    const f = await GatewayFixture.create({
      ledger: (inner) =>
        withRun(inner, (envelope) => {
          runs += 1;
          return inner.run(envelope);
        }),
    });
    const [patient, doctor, pending] = [party(), party(), party()];
    const client = f.client();
    await client.register(patient, 'patient');
    await client.register(doctor, 'doctor');
    await client.register(pending, 'institution');
    await f.ledger.orgAdmin().approveUser(doctor.keyId);
    w = { f, runs: () => runs, patient, doctor, pending, s: await rawSession(f) };
  });
  afterAll(() => w.f.close());

  it.each([
    ...SHARES.map((op) => [op, 'patient'] as const),
    ...DOWNLOADS.map((op) => [op, 'patient'] as const),
    ...DOWNLOADS.map((op) => [op, 'doctor'] as const),
  ])('control: %s by the %s passes them all and reaches the ledger', async (op, by) => {
    const runs = w.runs();
    const author = by === 'patient' ? w.patient : w.doctor;
    const res = await w.f.app.inject(sealedInject(sealed(w, op, { author })));
    // The contract answers (the record and file do not exist): what matters is that it was asked.
    expect(w.runs()).toBe(runs + 1);
    expect(res.statusCode === 200 || !/^check /.test(res.json<{ message: string }>().message)).toBe(true);
  });

  it.each(OPS)('source-network: %s from an address the app does not allow', async (op) => {
    await refusedBefore(w, sealed(w, op), 'SOURCE_NOT_ALLOWED', 'source-network', '127.0.0.2');
  });

  it.each(OPS)('clock-skew: %s issued 61 s ahead of the gateway clock, and 61 s behind', async (op) => {
    await refusedBefore(w, sealed(w, op, { skewMs: 61_000 }), 'CLOCK_SKEW', 'clock-skew');
    await refusedBefore(w, sealed(w, op, { skewMs: -61_000 }), 'CLOCK_SKEW', 'clock-skew');
  });

  it.each(OPS)('keys-valid: %s signed by an unknown K2, and by an unregistered author', async (op) => {
    await refusedBefore(w, sealed(w, op, { k2: generateKeyPair() }), 'APP_KEY_NOT_VALID', 'keys-valid');
    await refusedBefore(w, sealed(w, op, { author: party() }), 'NOT_REGISTERED', 'keys-valid');
  });

  it('keys-valid: no K3 this gateway may sign with (all retired on the ledger)', async () => {
    const ring = w.f.accessLayer.keys;
    ring.applyLedgerStatus(new Map(ring.k3.map((k) => [k.keyId, { status: 'retired' as const, retiredAt: 0 }])));
    try {
      for (const op of OPS) await refusedBefore(w, sealed(w, op), 'ACCESS_KEY_NOT_VALID', 'keys-valid');
    } finally {
      ring.applyLedgerStatus(new Map());
    }
  });

  describe('app-version: the policy of this org', () => {
    beforeAll(async () => {
      const res = await w.f.app.inject({
        method: 'POST',
        url: '/v1/admin/app-policy',
        headers: { authorization: `Bearer ${w.f.adminToken}` },
        payload: { minVersion: '1.4.0', denied: ['1.5.1'] },
      });
      expect(res.json()).toMatchObject({ org: ORG, minVersion: '1.4.0', denied: ['1.5.1'] });
    });
    afterAll(async () => {
      await w.f.ledger.orgAdmin().setAppPolicy('', '');
      w.f.accessLayer.environment?.forgetPolicy();
    });

    it.each(OPS)('%s: below the minimum, denied, or unstated', async (op) => {
      for (const appVersion of ['1.3.0', '1.5.1', null])
        await refusedBefore(w, sealed(w, op, { appVersion }), 'APP_VERSION_REFUSED', 'app-version');
    });

    it('an allowed version passes (and the SDK states its own: an org whose minimum is above it refuses the SDK)', async () => {
      const runs = w.runs();
      await w.f.app.inject(sealedInject(sealed(w, 'view', { appVersion: '1.5.2' })));
      expect(w.runs()).toBe(runs + 1);
      await expect(w.f.client().listRecords(w.patient)).resolves.toBeDefined();
      await expect(w.f.client().view(w.patient, hex('11'))).rejects.toMatchObject({ code: 'APP_VERSION_REFUSED' });
    });
  });

  describe('holder: a patient author must be active', () => {
    let restore: () => Promise<void>;
    beforeAll(async () => {
      restore = await setStatus(w.f, w.patient, 'pending');
    });
    afterAll(() => restore());

    it.each(OPS)('%s', async (op) => {
      await refusedBefore(w, sealed(w, op), 'NOT_APPROVED', 'holder');
    });
  });

  describe('receiver: an approved doctor or institution', () => {
    it.each(SHARES)('%s to a pending institution, a patient, an unregistered key', async (op) => {
      for (const receiver of [w.pending.keyId, w.patient.keyId, party().keyId])
        await refusedBefore(w, sealed(w, op, { receiver }), 'NOT_REGISTERED_DOCTOR', 'receiver');
    });

    it.each(DOWNLOADS)('%s by a pending institution', async (op) => {
      await refusedBefore(w, sealed(w, op, { author: w.pending }), 'NOT_REGISTERED_DOCTOR', 'receiver');
    });
  });
});
