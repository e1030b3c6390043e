// SPDX-License-Identifier: Apache-2.0
import { type BodyOf, type EnvironmentOperation, type KeyRequest } from '@medshare/protocol';
import { fabricIdentity } from '@medshare/fabric-sim';
import { Files, type Upload } from '../testing/files-harness';
import { ORG1, ORG2, newParty, rejects, wrapFor, type Harness, type Party } from '../testing/harness';

/**
 * The contract's side of the environment check (docs/protocol.md §7.6), for every share and
 * download of records and files: each check failing on its own, with its code, a message naming
 * it, and the ledger unchanged.
 */

interface World {
  readonly f: Files;
  readonly h: Harness;
  readonly patient: Party;
  readonly doctor: Party;
  /** Shares go to this one, so that the doctor's share (and its capsule fragments) stays as it is. */
  readonly colleague: Party;
  readonly recordId: string;
  readonly accessId: { patient: string; doctor: string };
  readonly upload: Upload;
  readonly capsuleFragments: string[];
}

/** One request of each guarded operation, valid as it stands (by the holder, or by the receiver). */
interface Case {
  readonly op: EnvironmentOperation;
  readonly by: 'holder' | 'receiver';
  readonly body: (w: World) => BodyOf<EnvironmentOperation>;
}

const CASES: readonly Case[] = [
  {
    op: 'grant',
    by: 'holder',
    body: (w) => ({ recordId: w.recordId, granteeKeyId: w.colleague.keyId, keyWrap: wrapFor(w.colleague) }),
  },
  { op: 'view', by: 'holder', body: (w) => ({ recordId: w.recordId }) },
  { op: 'view', by: 'receiver', body: (w) => ({ recordId: w.recordId }) },
  { op: 'read', by: 'holder', body: (w) => ({ recordId: w.recordId, accessId: w.accessId.patient }) },
  { op: 'read', by: 'receiver', body: (w) => ({ recordId: w.recordId, accessId: w.accessId.doctor }) },
  { op: 'file-share', by: 'holder', body: (w) => w.f.shareBody(w.upload, w.colleague).body },
  { op: 'file-get', by: 'holder', body: (w) => ({ fileId: w.upload.fileId }) },
  { op: 'file-get', by: 'receiver', body: (w) => ({ fileId: w.upload.fileId }) },
  { op: 'file-fragments', by: 'receiver', body: (w) => ({ fileId: w.upload.fileId }) },
  { op: 'file-view', by: 'holder', body: (w) => ({ fileId: w.upload.fileId, capsuleFragments: [] }) },
  { op: 'file-view', by: 'receiver', body: (w) => ({ fileId: w.upload.fileId, capsuleFragments: w.capsuleFragments }) },
];
const name = (c: Case): string => `${c.op} by the ${c.by}`;

async function world(): Promise<World> {
  const f = await Files.create();
  const { h } = f;
  const patient = await h.registerPatient();
  const doctor = await h.registerDoctor(ORG2);
  const colleague = await h.registerDoctor(ORG1, 'institution');
  const { recordId } = await h.upload(patient);
  await h.act('grant', patient, { recordId, granteeKeyId: doctor.keyId, keyWrap: wrapFor(doctor) });
  const accessId = {
    patient: (await h.act('view', patient, { recordId })).accessId as string,
    doctor: (await h.act('view', doctor, { recordId })).accessId as string,
  };
  const upload = await f.upload(patient);
  await f.share(patient, upload, doctor);
  const capsuleFragments = await f.capsuleFragments(upload.fileId, doctor, ORG1);
  return { f, h, patient, doctor, colleague, recordId, accessId, upload, capsuleFragments };
}

/** The request of a case, with `appVersion` when given, through ORG1's access layer (its K3 unless given). */
function envelope(w: World, c: Case, options: { appVersion?: string; skewMs?: number; k3?: Party } = {}): string {
  const author = c.by === 'holder' ? w.patient : w.doctor;
  const base = w.h.request(c.op, author, c.body(w)) as KeyRequest;
  const request = {
    ...base,
    ...(options.appVersion === undefined ? {} : { appVersion: options.appVersion }),
    ...(options.skewMs === undefined
      ? {}
      : { issuedAt: base.issuedAt + options.skewMs, expiresAt: base.expiresAt + options.skewMs }),
  };
  return w.h.envelope(request, author, ORG1, options.k3 ? { ...options.k3, org: ORG1 } : undefined);
}

describe('environment checks at the contract: every share and download', () => {
  let w: World;
  beforeAll(async () => {
    w = await world();
  });

  it.each(CASES.map((c) => [name(c), c] as const))('%s passes them all (the control case)', async (_name, c) => {
    await expect(w.h.call(envelope(w, c))).resolves.toMatchObject({ response: { op: c.op } });
  });

  describe('app-version: the org policy of the submitting access layer', () => {
    beforeAll(async () => {
      await w.h.admin(ORG1, 'app-policy:SetAppPolicy', '1.4.0', '1.5.1,2.0.0-rc.1');
    });
    afterAll(async () => {
      await w.h.admin(ORG1, 'app-policy:SetAppPolicy', '', '');
    });

    it.each(CASES.map((c) => [name(c), c] as const))('%s: below the minimum, denied, or unstated', async (_name, c) => {
      for (const [appVersion, message] of [
        ['1.3.9', /check app-version: app version 1.3.9 is below Org1MSP's minimum 1.4.0/],
        ['1.5.1+rebuild', /denied/],
        ['2.0.0-rc.1', /denied/],
        [undefined, /states no appVersion/],
      ] as const)
        await rejects(
          w.h,
          () => w.h.call(envelope(w, c, appVersion ? { appVersion } : {})),
          'APP_VERSION_REFUSED',
          message,
        );
      await expect(w.h.call(envelope(w, c, { appVersion: '1.5.2' }))).resolves.toBeDefined();
    });

    it("another org's policy does not apply: ORG2's access layer submits under ORG2's (open) policy", async () => {
      const c = CASES[1] as Case;
      const request = w.h.request(c.op, w.patient, c.body(w));
      await expect(w.h.call(w.h.envelope(request, w.patient, ORG2), ORG2)).resolves.toBeDefined();
    });
  });

  it.each(CASES.map((c) => [name(c), c] as const))(
    'clock-skew: %s issued 61 s ahead of the transaction time',
    async (_n, c) => {
      await rejects(w.h, () => w.h.call(envelope(w, c, { skewMs: 61_000 })), 'CLOCK_SKEW', /check clock-skew: .*ahead/);
    },
  );

  it.each(CASES.map((c) => [name(c), c] as const))(
    'keys-valid: %s signed by a K3 the org never registered',
    async (_n, c) => {
      await rejects(
        w.h,
        () => w.h.call(envelope(w, c, { k3: newParty() })),
        'UNKNOWN_ACCESS_KEY',
        /check keys-valid: /,
      );
    },
  );

  describe('holder: the owner must be active', () => {
    let restore: () => Promise<void>;
    beforeAll(async () => {
      restore = await w.h.setUserStatus(w.patient, 'pending');
    });
    afterAll(() => restore());

    it.each(CASES.map((c) => [name(c), c] as const))('%s', async (_n, c) => {
      await rejects(
        w.h,
        () => w.h.call(envelope(w, c)),
        'NOT_APPROVED',
        /check holder: the holder .* is pending, not active/,
      );
    });
  });

  describe('receiver: an approved doctor or institution', () => {
    it.each(['grant', 'file-share'] as const)(
      '%s to a pending doctor, a patient, an unregistered key, the owner',
      async (op) => {
        const pending = await w.h.registerDoctor(ORG1, 'institution', false);
        const other = await w.h.registerPatient();
        for (const [receiver, message] of [
          [pending, /check receiver: the receiver .* is a institution not approved/],
          [other, /is a patient, not a doctor or institution/],
          [newParty(), /is not registered/],
        ] as const) {
          const body =
            op === 'grant'
              ? { recordId: w.recordId, granteeKeyId: receiver.keyId, keyWrap: wrapFor(receiver) }
              : w.f.shareBody(w.upload, receiver).body;
          await rejects(
            w.h,
            () => w.h.call(w.h.envelope(w.h.request(op, w.patient, body), w.patient)),
            'NOT_REGISTERED_DOCTOR',
            message,
          );
        }
        const toOwner = w.f.shareBody(w.upload, w.patient).body;
        if (op === 'file-share')
          await rejects(
            w.h,
            () => w.h.call(w.h.envelope(w.h.request(op, w.patient, toOwner), w.patient)),
            'NOT_REGISTERED_DOCTOR',
          );
      },
    );

    describe('a download by a receiver who is no longer active', () => {
      let restore: () => Promise<void>;
      beforeAll(async () => {
        restore = await w.h.setUserStatus(w.doctor, 'pending');
      });
      afterAll(() => restore());

      it.each(CASES.filter((c) => c.by === 'receiver').map((c) => [name(c), c] as const))('%s', async (_n, c) => {
        await rejects(w.h, () => w.h.call(envelope(w, c)), 'NOT_REGISTERED_DOCTOR', /check receiver: .*not approved/);
      });
    });
  });
});

describe('app-policy: SetAppPolicy (org admins) and GetAppPolicy', () => {
  let h: Harness;
  beforeAll(async () => {
    h = (await Files.create()).h;
  });

  it('an org never set one: open; an admin sets it, replaces it, opens it again; each emits AppPolicySet', async () => {
    const get = async (org: string): Promise<unknown> =>
      JSON.parse((await h.evaluate('app-policy:GetAppPolicy', [org])).result);
    expect(await get(ORG2)).toEqual({ org: ORG2, denied: [] });
    expect(JSON.parse(await h.admin(ORG2, 'app-policy:SetAppPolicy', '1.2.0', '1.2.5,1.3.0'))).toEqual({
      org: ORG2,
      minVersion: '1.2.0',
      denied: ['1.2.5', '1.3.0'],
      setAt: h.now,
    });
    expect(h.ledger.committedEvents.at(-1)?.eventName).toBe('AppPolicySet');
    expect(await get(ORG2)).toMatchObject({ minVersion: '1.2.0' });
    expect(await get(ORG1)).toEqual({ org: ORG1, denied: [] });
    await h.admin(ORG2, 'app-policy:SetAppPolicy', '', '');
    expect(await get(ORG2)).toEqual({ org: ORG2, denied: [], setAt: h.now });
  });

  it('refuses a caller who is not an org admin, and malformed versions; nothing changes', async () => {
    await rejects(h, () => h.submit('app-policy:SetAppPolicy', ['1.0.0', ''], fabricIdentity(ORG1)), 'NOT_ORG_ADMIN');
    for (const [min, denied, message] of [
      ['v1.0.0', '', /minVersion/],
      ['1.0.0', '1.1', /denied\[0\]/],
      ['1.0.0', '1.1.0,1.1.0', /repeats/],
    ] as const)
      await rejects(
        h,
        () => h.submit('app-policy:SetAppPolicy', [min, denied], fabricIdentity(ORG1, { admin: true })),
        'INVALID_INPUT',
        message,
      );
    await rejects(h, () => h.evaluate('app-policy:GetAppPolicy', ['not an msp']), 'INVALID_INPUT');
  });
});
