// SPDX-License-Identifier: Apache-2.0
import { fromHex, toHex, utf8 } from '@medshare/crypto/bytes';
import { SM2_N } from '@medshare/crypto/sm2';
import {
  commit,
  keywordScalar,
  proveMembership,
  proveRange,
  proveValid,
  twistedAdd,
  twistedDecrypt,
  twistedEncrypt,
  twistedKeyGen,
  type TwistedKeyPair,
} from '@medshare/crypto/zk';
import {
  AUDIT_EVENT_NAME,
  DAY_MS,
  dayOf,
  joinContext,
  keywordAttestationStatement,
  parseAuditEvent,
  rangeBits,
  signFor,
  submissionRanges,
  submitContext,
  type BodyOf,
  type IndicatorStudyInput,
  type KeywordAttestation,
} from '@medshare/protocol';
import fc from 'fast-check';
import { Harness, ORG1, ORG2, T0, newParty, rejects, type Party } from '../../testing/harness';

const TODAY = dayOf(T0);
const KEYWORDS = ['I10', 'I11.9'];
const page = { pageSize: 20, bookmark: '' };

function definition(publicKey: Uint8Array, changes: Partial<IndicatorStudyInput> = {}): IndicatorStudyInput {
  return {
    title: 'Home blood pressure',
    keywords: KEYWORDS,
    indicators: [
      { name: 'systolic', unit: 'mmHg', scale: 1, lo: 60, hi: 250 },
      { name: 'diastolic', unit: 'mmHg', scale: 1, lo: 30, hi: 150 },
    ],
    // Three days before today to six after: today and the three before can be submitted.
    window: { startDay: TODAY - 3, days: 10 },
    check: 'value',
    output: { granularity: 'day', k: 3 },
    publicKey: toHex(publicKey),
    ...changes,
  };
}

/** A 33-byte compressed encoding whose x has no point on the curve. */
function notAPoint(): string {
  for (let x = 5; ; x++) {
    const candidate = '02' + x.toString(16).padStart(64, '0');
    try {
      twistedEncrypt(fromHex(candidate), 1n, 1n);
    } catch {
      return candidate;
    }
  }
}
const OFF_CURVE = notAPoint();
const IDENTITY = '00'.repeat(33);
const BIG_SCALAR = 'ff'.repeat(32);

/** `hex` with the bytes at `offset` replaced by `patch` (hex). */
function patch(hex: string, offset: number, replacement: string): string {
  return hex.slice(0, 2 * offset) + replacement + hex.slice(2 * offset + replacement.length);
}

interface World {
  readonly h: Harness;
  readonly institution: Party;
  readonly doctor: Party;
  readonly keys: TwistedKeyPair;
  readonly studyId: string;
  readonly input: IndicatorStudyInput;
}

async function publish(w: Pick<World, 'h' | 'institution' | 'keys'>, changes: Partial<IndicatorStudyInput> = {}) {
  const input = definition(w.keys.publicKey, changes);
  const { studyId } = await w.h.act('indicator-study-publish', w.institution, { study: input }, ORG2);
  return { studyId: studyId as string, input };
}

async function world(changes: Partial<IndicatorStudyInput> = {}): Promise<World> {
  const h = await Harness.create();
  const institution = await h.registerDoctor(ORG2, 'institution');
  const doctor = await h.registerDoctor(ORG1);
  const keys = twistedKeyGen();
  const { studyId, input } = await publish({ h, institution, keys }, changes);
  return { h, institution, doctor, keys, studyId, input };
}

/** What a patient holds after the hospital's attestation: the code, the blinding and the attested record. */
interface Attested {
  readonly patient: Party;
  readonly code: string;
  readonly blinding: bigint;
  readonly attestation: KeywordAttestation;
}

/** The doctor's attestation of `code` for `patient` (§21.2), signed by `signer` (the doctor by default). */
function attest(patient: Party, doctor: Party, code: string, signer: Party = doctor): Omit<Attested, 'patient'> {
  const { commitment, blinding } = commit(keywordScalar(utf8(code)));
  const hex = toHex(commitment);
  const signature = signFor('keyword-attestation', signer, keywordAttestationStatement(patient.keyId, hex));
  return { code, blinding, attestation: { commitment: hex, doctorKeyId: doctor.keyId, signature } };
}

async function attestedRecord(w: World, patient: Party, code = 'I10'): Promise<Attested & { recordId: string }> {
  const attested = attest(patient, w.doctor, code);
  const body = { ...w.h.sealedRecord(patient).body, keywordAttestation: attested.attestation };
  const { recordId } = await w.h.act('upload', patient, body);
  return { ...attested, patient, recordId: recordId as string };
}

function membershipProof(
  w: World,
  a: Pick<Attested, 'attestation' | 'code' | 'blinding'>,
  recordId: string,
  context = joinContext(w.studyId, recordId),
): string {
  return toHex(
    proveMembership({
      commitment: fromHex(a.attestation.commitment),
      keywords: w.input.keywords.map((k) => utf8(k)),
      keyword: utf8(a.code),
      blinding: a.blinding,
      context,
    }),
  );
}

async function join(w: World, patient?: Party): Promise<{ patient: Party; pseudonym: string; recordId: string }> {
  const who = patient ?? (await w.h.registerPatient());
  const a = await attestedRecord(w, who);
  const joined = await w.h.act('indicator-join', who, {
    studyId: w.studyId,
    recordId: a.recordId,
    proof: membershipProof(w, a, a.recordId),
  });
  return { patient: who, pseudonym: joined.pseudonym as string, recordId: a.recordId };
}

interface Reading {
  readonly value: bigint;
  readonly ciphertext: Uint8Array;
  readonly randomness: bigint;
}
interface EncryptedDay {
  readonly day: number;
  readonly readings: readonly Reading[];
}

function encrypt(w: World, days: ReadonlyArray<{ day: number; values: readonly number[] }>): EncryptedDay[] {
  return days.map(({ day, values }) => ({
    day,
    readings: values.map((v) => ({ value: BigInt(v), ...twistedEncrypt(w.keys.publicKey, BigInt(v)) })),
  }));
}

/** The range proof's ciphertexts and openings: the day's readings, or for `mean` each indicator's sum. */
function rangeInputs(w: World, days: readonly EncryptedDay[]): Reading[] {
  if (w.input.check === 'value') return [...(days[0] as EncryptedDay).readings];
  return w.input.indicators.map((_, i) => {
    const column = days.map((d) => d.readings[i] as Reading);
    return {
      value: column.reduce((s, r) => s + r.value, 0n),
      randomness: column.reduce((s, r) => s + r.randomness, 0n) % SM2_N,
      ciphertext: twistedAdd(...column.map((r) => r.ciphertext)),
    };
  });
}

interface ProofOptions {
  /** The days the proofs' context names (default: the body's). */
  readonly contextDays?: readonly number[];
  /** Other ciphertexts the validity proof is made for. */
  readonly validityFor?: readonly EncryptedDay[];
  /** Other ciphertexts the range proof is made for. */
  readonly rangeFor?: readonly EncryptedDay[];
}

function submission(
  w: World,
  pseudonym: string,
  days: readonly EncryptedDay[],
  options: ProofOptions = {},
): BodyOf<'indicator-submit'> {
  const context = submitContext(w.studyId, pseudonym, options.contextDays ?? days.map((d) => d.day));
  const all = (options.validityFor ?? days).flatMap((d) => d.readings);
  const validity = proveValid({
    publicKey: w.keys.publicKey,
    ciphertexts: all.map((r) => r.ciphertext),
    openings: all.map(({ value, randomness }) => ({ value, randomness })),
    context,
  });
  const ranged = rangeInputs(w, options.rangeFor ?? days);
  const ranges = submissionRanges(w.input, days.length);
  const range = proveRange({
    publicKey: w.keys.publicKey,
    ciphertexts: ranged.map((r) => r.ciphertext),
    openings: ranged.map(({ value, randomness }) => ({ value, randomness })),
    ranges,
    bits: rangeBits(ranges),
    context,
  });
  return {
    studyId: w.studyId,
    days: days.map((d) => ({ day: d.day, readings: d.readings.map((r) => toHex(r.ciphertext)) })),
    validity: toHex(validity),
    range: toHex(range),
  };
}

function submit(w: World, patient: Party, pseudonym: string, day: number, values: readonly number[]) {
  return w.h.act('indicator-submit', patient, submission(w, pseudonym, encrypt(w, [{ day, values }])));
}

type Aggregates = {
  participants: number;
  k: number;
  indicators: Array<{ name: string; participants: number; readings: number; sum: string | null }>;
};
type Series = {
  participants: Array<{ pseudonym: string; periods: Array<{ period: number; days: number; sums: string[] }> }>;
  bookmark: string;
};

function aggregates(w: World, who = w.institution): Promise<Aggregates> {
  return w.h.act('indicator-aggregates', who, { studyId: w.studyId }, ORG2) as Promise<Aggregates>;
}
function series(w: World, who = w.institution, body: Partial<typeof page> = {}): Promise<Series> {
  return w.h.act('indicator-series', who, { studyId: w.studyId, ...page, ...body }, ORG2) as Promise<Series>;
}
const decrypt = (w: World, hex: string): number => Number(twistedDecrypt(w.keys.secretKey, fromHex(hex), 20));

describe('indicators: publishing a study', () => {
  it('an approved institution publishes; any active user reads it with its defaults, open and without participants', async () => {
    const w = await world();
    const patient = await w.h.registerPatient();
    const got = await w.h.act('indicator-study-get', patient, { studyId: w.studyId });
    expect(got).toEqual({
      studyId: w.studyId,
      institutionKeyId: w.institution.keyId,
      study: { ...w.input, output: { granularity: 'day', k: 3 }, maxParticipants: 1000 },
      publishedAt: expect.any(Number),
      open: true,
      participants: 0,
    });
    const listed = await w.h.act('indicator-study-list', patient, { pageSize: 10, bookmark: '' });
    expect(listed).toEqual({ studies: [got], bookmark: '' });
  });

  it('refuses unapproved institutions, other roles, a study key that is no point, and ranges that are inverted or overflow', async () => {
    const w = await world();
    const study = definition(w.keys.publicKey);
    const pending = await w.h.registerDoctor(ORG2, 'institution', false);
    await rejects(w.h, () => w.h.act('indicator-study-publish', pending, { study }, ORG2), 'NOT_APPROVED');
    await rejects(w.h, () => w.h.act('indicator-study-publish', w.doctor, { study }), 'NOT_INSTITUTION');
    await rejects(w.h, () => w.h.act('indicator-study-publish', newParty(), { study }), 'NOT_REGISTERED');
    await rejects(
      w.h,
      () => w.h.act('indicator-study-publish', w.institution, { study: { ...study, publicKey: OFF_CURVE } }, ORG2),
      'STUDY_KEY_INVALID',
      /publicKey/,
    );
    const inverted = [{ name: 'systolic', unit: 'mmHg', scale: 1, lo: 200, hi: 100 }] as const;
    await rejects(
      w.h,
      () => w.h.act('indicator-study-publish', w.institution, { study: { ...study, indicators: inverted } }, ORG2),
      'INDICATOR_RANGE_INVALID',
    );
    const huge = [{ name: 'steps', unit: 'steps', scale: 1, lo: 0, hi: 2 ** 32 - 1 }] as const;
    await rejects(
      w.h,
      () => w.h.act('indicator-study-publish', w.institution, { study: { ...study, indicators: huge } }, ORG2),
      'INDICATOR_RANGE_INVALID',
      /2\^36/,
    );
    // a k above maxParticipants (given, or the default 5) could never release anything
    for (const changes of [
      { maxParticipants: 2 },
      { maxParticipants: 6, output: { granularity: 'day', k: 7 } },
    ] as const) {
      await rejects(
        w.h,
        () => w.h.act('indicator-study-publish', w.institution, { study: { ...study, ...changes } }, ORG2),
        'INVALID_INPUT',
        /must not exceed .*maxParticipants/,
      );
    }
    const patient = await w.h.registerPatient();
    await rejects(w.h, () => w.h.act('indicator-study-get', patient, { studyId: 'ab'.repeat(32) }), 'STUDY_NOT_FOUND');
  });
});

describe('records:Upload with a keyword attestation (§21.2)', () => {
  it('stores a valid attestation with the record; the idempotent replay compares it', async () => {
    const w = await world();
    const patient = await w.h.registerPatient();
    const { attestation } = attest(patient, w.doctor, 'I10');
    const body = {
      ...w.h.sealedRecord(patient).body,
      keywordAttestation: attestation,
      idempotencyKey: 'cd'.repeat(32),
    };
    const first = await w.h.act('upload', patient, body);
    const stored = w.h.ledger
      .entries()
      .find(([k]) => k.includes('medshare.record\u0000') && k.includes(first.recordId as string));
    const text = Buffer.from(stored?.[1] ?? []).toString();
    expect((JSON.parse(text) as { keywordAttestation: unknown }).keywordAttestation).toEqual(attestation);
    // the keyword never reaches the record: only its commitment
    expect(text).not.toContain('I10');
    const again = await w.h.act('upload', patient, body);
    expect(again).toMatchObject({ recordId: first.recordId, replayed: true });
    const other = attest(patient, w.doctor, 'I10').attestation;
    await rejects(
      w.h,
      () => w.h.act('upload', patient, { ...body, keywordAttestation: other }),
      'IDEMPOTENCY_KEY_REUSED',
    );
    const { keywordAttestation: _none, ...without } = body;
    await rejects(w.h, () => w.h.act('upload', patient, without), 'IDEMPOTENCY_KEY_REUSED');
  });

  it('refuses an attestation by a non-doctor, a pending or unknown doctor, a tampered one and one for another patient', async () => {
    const w = await world();
    const { h } = w;
    const patient = await h.registerPatient();
    const other = await h.registerPatient();
    const upload = (attestation: KeywordAttestation) =>
      h.act('upload', patient, { ...h.sealedRecord(patient).body, keywordAttestation: attestation });
    const byInstitution = attest(patient, w.institution, 'I10').attestation;
    await rejects(h, () => upload(byInstitution), 'NOT_REGISTERED_DOCTOR', /doctorKeyId/);
    await rejects(h, () => upload(attest(patient, other, 'I10').attestation), 'NOT_REGISTERED_DOCTOR');
    await rejects(h, () => upload(attest(patient, newParty(), 'I10').attestation), 'NOT_REGISTERED_DOCTOR');
    const pending = await h.registerDoctor(ORG1, 'doctor', false);
    await rejects(h, () => upload(attest(patient, pending, 'I10').attestation), 'NOT_REGISTERED_DOCTOR');
    // signed by someone else in the doctor's name
    await rejects(h, () => upload(attest(patient, w.doctor, 'I10', other).attestation), 'KEYWORD_ATTESTATION_INVALID');
    const good = attest(patient, w.doctor, 'I10').attestation;
    const swapped = { ...good, commitment: attest(patient, w.doctor, 'I10').attestation.commitment };
    await rejects(h, () => upload(swapped), 'KEYWORD_ATTESTATION_INVALID', /signature/);
    await rejects(h, () => upload({ ...good, commitment: OFF_CURVE }), 'KEYWORD_ATTESTATION_INVALID', /commitment/);
    await rejects(h, () => upload(attest(other, w.doctor, 'I10').attestation), 'KEYWORD_ATTESTATION_INVALID');
  });
});

describe('indicators: the whole path', () => {
  it('publish → attested upload → join → submit → aggregates and series that decrypt → leave removes the data', async () => {
    const w = await world();
    const { h } = w;
    const events: Array<{ eventName: string; payload: string }> = [];
    h.ledger.onEvent((e) => events.push({ eventName: e.eventName, payload: Buffer.from(e.payload).toString() }));
    const joined = [];
    for (let i = 0; i < 4; i++) joined.push(await join(w));
    type Joined = (typeof joined)[number];
    const [a, b, c, d] = joined as [Joined, Joined, Joined, Joined];
    expect(new Set(joined.map((j) => j.pseudonym)).size).toBe(4);
    expect((await h.act('indicator-study-get', a.patient, { studyId: w.studyId })).participants).toBe(4);

    const values = new Map<string, number[][]>([
      [
        a.pseudonym,
        [
          [120, 80],
          [130, 85],
        ],
      ],
      [b.pseudonym, [[140, 90]]],
      [c.pseudonym, [[110, 70]]],
      [d.pseudonym, [[150, 95]]],
    ]);
    const submitted = await submit(w, a.patient, a.pseudonym, TODAY - 1, [120, 80]);
    expect(submitted).toEqual({
      studyId: w.studyId,
      pseudonym: a.pseudonym,
      days: [TODAY - 1],
      submittedAt: expect.any(Number),
    });
    await submit(w, a.patient, a.pseudonym, TODAY, [130, 85]);
    await submit(w, b.patient, b.pseudonym, TODAY, [140, 90]);
    await submit(w, c.patient, c.pseudonym, TODAY - 3, [110, 70]);
    await submit(w, d.patient, d.pseudonym, TODAY, [150, 95]);

    const agg = await aggregates(w);
    expect(agg).toMatchObject({ studyId: w.studyId, k: 3, participants: 4, asOf: expect.any(Number) });
    expect(agg.indicators.map((i) => [i.name, i.participants, i.readings])).toEqual([
      ['systolic', 4, 5],
      ['diastolic', 4, 5],
    ]);
    expect(agg.indicators.map((i) => decrypt(w, i.sum as string))).toEqual([650, 420]);

    const got = await series(w);
    expect(got.bookmark).toBe('');
    expect(got.participants.map((p) => p.pseudonym)).toEqual([...values.keys()].sort());
    for (const p of got.participants) {
      const expected = values.get(p.pseudonym) as number[][];
      expect(p.periods.flatMap((period) => period.sums.map((s) => decrypt(w, s)))).toEqual(expected.flat());
      expect(p.periods.every((period) => period.days === 1)).toBe(true);
    }
    // periods are day offsets in the window: a's two days are offsets 2 and 3
    expect(got.participants.find((p) => p.pseudonym === a.pseudonym)?.periods.map((p) => p.period)).toEqual([2, 3]);
    // no key, record or absolute day in the institution's answers
    for (const answer of [JSON.stringify(got), JSON.stringify(agg)]) {
      for (const j of joined) {
        expect(answer).not.toContain(j.patient.keyId);
        expect(answer).not.toContain(j.recordId);
      }
      expect(answer).not.toMatch(new RegExp(`[:,\\[]${TODAY}[,\\]}]`));
    }
    // a page of two, then the rest from the bookmark
    const first = await series(w, w.institution, { pageSize: 2 });
    const rest = await series(w, w.institution, { pageSize: 2, bookmark: first.bookmark });
    expect([...first.participants, ...rest.participants].map((p) => p.pseudonym)).toEqual([...values.keys()].sort());
    expect(rest.bookmark).toBe('');

    const left = await h.act('indicator-leave', a.patient, { studyId: w.studyId });
    expect(left).toEqual({ studyId: w.studyId, pseudonym: a.pseudonym, removedDays: 2, leftAt: expect.any(Number) });
    expect(h.ledger.entries().filter(([k]) => k.includes('indicator-day') && k.includes(a.pseudonym))).toEqual([]);
    const after = await aggregates(w);
    expect(after.participants).toBe(3);
    expect(after.indicators.map((i) => decrypt(w, i.sum as string))).toEqual([400, 255]);
    expect((await series(w)).participants.map((p) => p.pseudonym)).not.toContain(a.pseudonym);
    await rejects(h, () => h.act('indicator-leave', a.patient, { studyId: w.studyId }), 'NOT_PARTICIPANT');
    await rejects(
      h,
      () => h.act('indicator-join', a.patient, { studyId: w.studyId, recordId: a.recordId, proof: '00'.repeat(162) }),
      'ALREADY_JOINED',
    );
    // below k again: no series, and aggregates without sums
    await h.act('indicator-leave', b.patient, { studyId: w.studyId });
    await rejects(h, () => series(w), 'INDICATOR_K_NOT_REACHED');
    const below = await aggregates(w);
    expect(below.participants).toBe(2);
    expect(below.indicators.map((i) => [i.participants, i.sum])).toEqual([
      [2, null],
      [2, null],
    ]);

    // the record's trail: join and leave, with the institution and the study
    const audit = (await h.act('audit', a.patient, { recordId: a.recordId, pageSize: 100, bookmark: '' }))
      .items as Array<Record<string, string>>;
    expect(audit.map((e) => [e.action, e.subjectKeyId, e.studyId])).toEqual([
      ['upload', undefined, undefined],
      ['indicator-join', w.institution.keyId, w.studyId],
      ['indicator-leave', w.institution.keyId, w.studyId],
    ]);
    // the owner's notifications: the join and the leave, naming the institution and the study
    const notices = events
      .filter((e) => e.eventName === AUDIT_EVENT_NAME)
      .map((e) => parseAuditEvent(JSON.parse(e.payload)))
      .filter((e) => e.owner === a.patient.keyId);
    expect(notices.map((e) => [e.action, e.recordId, e.subjectKeyId, e.studyId])).toEqual([
      ['upload', a.recordId, undefined, undefined],
      ['indicator-join', a.recordId, w.institution.keyId, w.studyId],
      ['indicator-leave', a.recordId, w.institution.keyId, w.studyId],
    ]);
    // submissions and the institution's reads notify no one
    expect(events.filter((e) => e.eventName === AUDIT_EVENT_NAME)).toHaveLength(4 * 2 + 2);
    // the study's trail names pseudonyms, never a patient's key
    const trail = JSON.parse(await h.admin(ORG2, 'indicators:AdminStudyTrail', w.studyId, '100', '')) as {
      items: Array<{ action: string; actorKeyId?: string; pseudonym?: string; days?: number[] }>;
    };
    expect(trail.items.map((e) => e.action)).toEqual([
      'study-publish',
      ...['indicator-join', 'indicator-join', 'indicator-join', 'indicator-join'],
      ...Array(5).fill('indicator-submit'),
      'indicator-aggregates',
      'indicator-series',
      'indicator-series',
      'indicator-series',
      'indicator-leave',
      'indicator-aggregates',
      'indicator-series',
      'indicator-leave',
      'indicator-aggregates',
    ]);
    expect(trail.items.find((e) => e.action === 'indicator-submit')).toMatchObject({
      pseudonym: a.pseudonym,
      days: [TODAY - 1],
    });
    for (const j of joined) expect(JSON.stringify(trail)).not.toContain(j.patient.keyId);
    await rejects(h, () => h.admin(ORG1, 'indicators:AdminStudyTrail', w.studyId, '100', ''), 'NOT_ORG_ADMIN');
  });

  it('aggregates decrypt to the sum of the accepted readings (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.integer({ min: 60, max: 250 }), fc.integer({ min: 30, max: 150 })), {
          minLength: 2,
          maxLength: 3,
        }),
        async (readings) => {
          const w = await world({ output: { granularity: 'window', k: 2 } });
          for (const values of readings) {
            const { patient, pseudonym } = await join(w);
            await submit(w, patient, pseudonym, TODAY, values);
          }
          const agg = await aggregates(w);
          expect(agg.indicators.map((i) => decrypt(w, i.sum as string))).toEqual([
            readings.reduce((s, r) => s + r[0], 0),
            readings.reduce((s, r) => s + r[1], 0),
          ]);
        },
      ),
      { numRuns: 3 },
    );
  });
});

describe('indicators: weekly series', () => {
  it('groups a participant’s days by week of the window, summing each week', async () => {
    const w = await world({ output: { granularity: 'week', k: 2 } });
    const a = await join(w);
    const b = await join(w);
    // the series needs k participants with readings
    await submit(w, b.patient, b.pseudonym, TODAY, [130, 90]);
    await submit(w, a.patient, a.pseudonym, TODAY - 3, [100, 60]);
    await submit(w, a.patient, a.pseudonym, TODAY, [110, 70]);
    w.h.now += 4 * DAY_MS;
    await submit(w, a.patient, a.pseudonym, TODAY + 4, [120, 80]);
    const got = await series(w);
    const mine = got.participants.find((p) => p.pseudonym === a.pseudonym);
    expect(mine?.periods.map((p) => [p.period, p.days, ...p.sums.map((x) => decrypt(w, x))])).toEqual([
      [0, 2, 210, 130],
      [1, 1, 120, 80],
    ]);
    const other = got.participants.find((p) => p.pseudonym === b.pseudonym);
    expect(other?.periods.map((p) => [p.period, p.days, ...p.sums.map((x) => decrypt(w, x))])).toEqual([
      [0, 1, 130, 90],
    ]);
  });
});

describe('indicators: joining refusals (each with the ledger unchanged)', () => {
  it('refuses a missing or closed study, another record, a missing attestation, a non-matching keyword and misbound proofs', async () => {
    const w = await world();
    const { h, studyId } = w;
    const patient = await h.registerPatient();
    const other = await h.registerPatient();
    const a = await attestedRecord(w, patient);
    const body = { studyId, recordId: a.recordId, proof: membershipProof(w, a, a.recordId) };
    await rejects(h, () => h.act('indicator-join', patient, { ...body, studyId: 'ab'.repeat(32) }), 'STUDY_NOT_FOUND');
    const past = await publish(w, { window: { startDay: TODAY - 20, days: 5 } });
    await rejects(h, () => h.act('indicator-join', patient, { ...body, studyId: past.studyId }), 'STUDY_CLOSED');
    await rejects(
      h,
      () => h.act('indicator-join', patient, { ...body, recordId: 'cd'.repeat(32) }),
      'RECORD_NOT_FOUND',
    );
    await rejects(h, () => h.act('indicator-join', other, body), 'NOT_OWNER');
    const { recordId: plain } = await h.upload(patient);
    await rejects(
      h,
      () => h.act('indicator-join', patient, { ...body, recordId: plain, proof: membershipProof(w, a, plain) }),
      'KEYWORD_NOT_ATTESTED',
    );
    // a record attested for a keyword outside the study's set, with a proof forged for one inside it
    const diabetes = await attestedRecord(w, other, 'E11');
    const forged = commit(keywordScalar(utf8('I10')));
    const forgedProof = membershipProof(
      w,
      {
        code: 'I10',
        blinding: forged.blinding,
        attestation: { ...diabetes.attestation, commitment: toHex(forged.commitment) },
      },
      diabetes.recordId,
    );
    await rejects(
      h,
      () => h.act('indicator-join', other, { studyId, recordId: diabetes.recordId, proof: forgedProof }),
      'KEYWORD_NOT_MATCHED',
    );
    // the right keyword, but the proof made for another study, for another record
    const otherStudy = membershipProof(w, a, a.recordId, joinContext(past.studyId, a.recordId));
    await rejects(h, () => h.act('indicator-join', patient, { ...body, proof: otherStudy }), 'KEYWORD_NOT_MATCHED');
    // the same attestation on a second record of the patient: the proof names the first record
    const second = await h.act('upload', patient, {
      ...h.sealedRecord(patient).body,
      keywordAttestation: a.attestation,
    });
    const b = { ...a, recordId: second.recordId as string };
    await rejects(
      h,
      () => h.act('indicator-join', patient, { ...body, recordId: b.recordId, proof: body.proof }),
      'KEYWORD_NOT_MATCHED',
    );
    // and it joins with the right one, once
    await h.act('indicator-join', patient, body);
    await rejects(
      h,
      () =>
        h.act('indicator-join', patient, { ...body, recordId: b.recordId, proof: membershipProof(w, b, b.recordId) }),
      'ALREADY_JOINED',
    );
  });

  it('refuses malformed proofs: wrong length, a point off the curve, the identity, a wrong prefix, a scalar ≥ n', async () => {
    const w = await world();
    const { h, studyId } = w;
    const patient = await h.registerPatient();
    const a = await attestedRecord(w, patient);
    const proof = membershipProof(w, a, a.recordId);
    const join = (p: string) => h.act('indicator-join', patient, { studyId, recordId: a.recordId, proof: p });
    // m = 2: A_0, A_1 (33 bytes each), c_0, z_0, z_1 (32 each)
    expect(proof.length).toBe(2 * (97 * 2 - 32));
    await rejects(h, () => join(proof.slice(0, -2)), 'INVALID_INPUT', /request.body.proof/);
    await rejects(h, () => join(proof + '00'), 'INVALID_INPUT', /request.body.proof/);
    await rejects(h, () => join(patch(proof, 0, OFF_CURVE)), 'INVALID_INPUT', /request.body.proof/);
    await rejects(h, () => join(patch(proof, 33, IDENTITY)), 'INVALID_INPUT', /request.body.proof/);
    await rejects(h, () => join(patch(proof, 0, '04' + proof.slice(2, 66))), 'INVALID_INPUT', /request.body.proof/);
    await rejects(h, () => join(patch(proof, 66, BIG_SCALAR)), 'INVALID_INPUT', /request.body.proof/);
    await rejects(h, () => join(patch(proof, 130, BIG_SCALAR)), 'INVALID_INPUT', /request.body.proof/);
    await join(proof);
  });

  it('refuses a full study, an inactive patient, a suspended doctor or institution, and a tampered stored attestation', async () => {
    const w = await world({ maxParticipants: 2, output: { granularity: 'day', k: 2 } });
    const { h, studyId } = w;
    await join(w);
    await join(w);
    const patient = await h.registerPatient();
    const a = await attestedRecord(w, patient);
    const body = { studyId, recordId: a.recordId, proof: membershipProof(w, a, a.recordId) };
    await rejects(h, () => h.act('indicator-join', patient, body), 'STUDY_FULL');

    const open = await publish(w);
    const wOpen = { ...w, studyId: open.studyId };
    const bodyOpen = { studyId: open.studyId, recordId: a.recordId, proof: membershipProof(wOpen, a, a.recordId) };
    let restore = await h.setUserStatus(patient, 'pending');
    await rejects(h, () => h.act('indicator-join', patient, bodyOpen), 'NOT_APPROVED', /patient/);
    await restore();
    restore = await h.setUserStatus(w.institution, 'pending');
    await rejects(h, () => h.act('indicator-join', patient, bodyOpen), 'NOT_APPROVED', /institution/);
    await restore();
    restore = await h.setUserStatus(w.doctor, 'pending');
    await rejects(h, () => h.act('indicator-join', patient, bodyOpen), 'NOT_REGISTERED_DOCTOR');
    await restore();
    await h.act('indicator-join', patient, bodyOpen);
  });
});

describe('indicators: submission refusals (each with the ledger unchanged)', () => {
  async function joined(changes: Partial<IndicatorStudyInput> = {}) {
    const w = await world(changes);
    const j = await join(w);
    return { w, ...j };
  }

  it('refuses a missing or closed study, non-participants, several days for check value, and days outside the window, in the future or again', async () => {
    const { w, patient, pseudonym } = await joined();
    const { h } = w;
    const body = submission(w, pseudonym, encrypt(w, [{ day: TODAY, values: [120, 80] }]));
    await rejects(
      h,
      () => h.act('indicator-submit', patient, { ...body, studyId: 'ab'.repeat(32) }),
      'STUDY_NOT_FOUND',
    );
    const stranger = await h.registerPatient();
    await rejects(h, () => h.act('indicator-submit', stranger, body), 'NOT_PARTICIPANT');
    await rejects(h, () => h.act('indicator-leave', stranger, { studyId: w.studyId }), 'NOT_PARTICIPANT');
    const two = submission(
      w,
      pseudonym,
      encrypt(w, [
        { day: TODAY - 1, values: [120, 80] },
        { day: TODAY, values: [121, 81] },
      ]),
    );
    await rejects(h, () => h.act('indicator-submit', patient, two), 'INVALID_INPUT', /exactly one day/);
    for (const day of [TODAY - 4, TODAY + 1]) {
      const outside = submission(w, pseudonym, encrypt(w, [{ day, values: [120, 80] }]));
      await rejects(h, () => h.act('indicator-submit', patient, outside), 'INDICATOR_DAY_OUTSIDE_WINDOW');
    }
    const envelope = h.envelope(h.request('indicator-submit', patient, body), patient);
    await h.call(envelope);
    await rejects(h, () => h.call(envelope), 'NONCE_REPLAYED');
    await rejects(h, () => h.act('indicator-submit', patient, body), 'INDICATOR_DAY_SUBMITTED');
    const again = submission(w, pseudonym, encrypt(w, [{ day: TODAY, values: [125, 82] }]));
    await rejects(h, () => h.act('indicator-submit', patient, again), 'INDICATOR_DAY_SUBMITTED');
    // the day after the window's last day still takes readings; the next does not
    h.now += (6 + 1) * DAY_MS;
    const late = submission(w, pseudonym, encrypt(w, [{ day: TODAY + 6, values: [120, 80] }]));
    h.now += DAY_MS;
    await rejects(h, () => h.act('indicator-submit', patient, late), 'STUDY_CLOSED');
    h.now -= DAY_MS;
    await h.act('indicator-submit', patient, late);
  });

  it('refuses out-of-range values, proofs for other ciphertexts or another day, and wrong reading counts', async () => {
    const { w, patient, pseudonym } = await joined();
    const { h } = w;
    const day = [{ day: TODAY, values: [120, 80] }];
    // 260 mmHg: the range proof was made for an in-range reading, the validity proof for the real one
    const high = encrypt(w, [{ day: TODAY, values: [260, 80] }]);
    const outOfRange = submission(w, pseudonym, high, { rangeFor: encrypt(w, day) });
    await rejects(h, () => h.act('indicator-submit', patient, outOfRange), 'INDICATOR_OUT_OF_RANGE');
    const low = encrypt(w, [{ day: TODAY, values: [120, 29] }]);
    await rejects(
      h,
      () => h.act('indicator-submit', patient, submission(w, pseudonym, low, { rangeFor: encrypt(w, day) })),
      'INDICATOR_OUT_OF_RANGE',
    );
    const otherValidity = submission(w, pseudonym, encrypt(w, day), { validityFor: encrypt(w, day) });
    await rejects(h, () => h.act('indicator-submit', patient, otherValidity), 'INDICATOR_PROOF_INVALID');
    const otherDay = submission(w, pseudonym, encrypt(w, day), { contextDays: [TODAY - 1] });
    await rejects(h, () => h.act('indicator-submit', patient, otherDay), 'INDICATOR_PROOF_INVALID');
    // another participant's proofs (their pseudonym in the context)
    const otherPseudonym = submission(w, 'ab'.repeat(16), encrypt(w, day));
    await rejects(h, () => h.act('indicator-submit', patient, otherPseudonym), 'INDICATOR_PROOF_INVALID');
    const good = submission(w, pseudonym, encrypt(w, day));
    const oneReading = { ...good, days: [{ day: TODAY, readings: [good.days[0]?.readings[0] as string] }] };
    await rejects(
      h,
      () => h.act('indicator-submit', patient, oneReading),
      'INVALID_INPUT',
      /one ciphertext per indicator/,
    );
    await h.act('indicator-submit', patient, good);
  });

  it('refuses malformed ciphertexts and proofs as INVALID_INPUT naming the field', async () => {
    const { w, patient, pseudonym } = await joined();
    const { h } = w;
    const good = submission(w, pseudonym, encrypt(w, [{ day: TODAY, values: [120, 80] }]));
    const [first, second] = good.days[0]?.readings as [string, string];
    const withReading = (reading: string) => ({ ...good, days: [{ day: TODAY, readings: [reading, second] }] });
    for (const bad of [OFF_CURVE + first.slice(66), first.slice(0, 66) + OFF_CURVE, '04' + first.slice(2)]) {
      await rejects(
        h,
        () => h.act('indicator-submit', patient, withReading(bad)),
        'INVALID_INPUT',
        /request.body.days\[0\].readings\[0\]/,
      );
    }
    // validity: A_X, A_Y, z_v, z_r
    for (const validity of [
      patch(good.validity, 0, OFF_CURVE),
      patch(good.validity, 33, IDENTITY),
      patch(good.validity, 66, BIG_SCALAR),
      patch(good.validity, 98, BIG_SCALAR),
    ]) {
      await rejects(
        h,
        () => h.act('indicator-submit', patient, { ...good, validity }),
        'INVALID_INPUT',
        /request.body.validity/,
      );
    }
    // range: A, S, T1, T2, tau_x, mu, t, the pairs, a, b; a proof of the wrong length
    for (const range of [
      patch(good.range, 0, OFF_CURVE),
      patch(good.range, 33, IDENTITY),
      patch(good.range, 66, '05' + good.range.slice(134, 198)),
      patch(good.range, 132, BIG_SCALAR),
      good.range + '00'.repeat(66),
    ]) {
      await rejects(
        h,
        () => h.act('indicator-submit', patient, { ...good, range }),
        'INVALID_INPUT',
        /request.body.range/,
      );
    }
    await h.act('indicator-submit', patient, good);
  });

  it('refuses an inactive participant and a suspended institution', async () => {
    const { w, patient, pseudonym } = await joined();
    const { h } = w;
    const body = submission(w, pseudonym, encrypt(w, [{ day: TODAY, values: [120, 80] }]));
    let restore = await h.setUserStatus(patient, 'pending');
    await rejects(h, () => h.act('indicator-submit', patient, body), 'NOT_APPROVED');
    await rejects(h, () => h.act('indicator-leave', patient, { studyId: w.studyId }), 'NOT_APPROVED');
    await restore();
    restore = await h.setUserStatus(w.institution, 'pending');
    await rejects(h, () => h.act('indicator-submit', patient, body), 'NOT_APPROVED', /institution/);
    await restore();
    await h.act('indicator-submit', patient, body);
  });

  it('check mean: the sum of the days is range-checked, not each reading', async () => {
    const { w, patient, pseudonym } = await joined({ check: 'mean', output: { granularity: 'window', k: 2 } });
    const { h } = w;
    // 255 is above hi on its own, but the three days' sum (615) is within [3·60, 3·250]
    const days = encrypt(w, [
      { day: TODAY - 2, values: [255, 80] },
      { day: TODAY - 1, values: [120, 80] },
      { day: TODAY, values: [240, 85] },
    ]);
    const accepted = await h.act('indicator-submit', patient, submission(w, pseudonym, days));
    expect(accepted.days).toEqual([TODAY - 2, TODAY - 1, TODAY]);
    // a sum outside [2·60, 2·250]: the range proof was made for in-range days
    const high = encrypt(w, [
      { day: TODAY - 3, values: [250, 80] },
      { day: TODAY + 0, values: [251, 80] },
    ]);
    const inRange = encrypt(w, [
      { day: TODAY - 3, values: [200, 80] },
      { day: TODAY + 0, values: [200, 80] },
    ]);
    const other = await join(w);
    await rejects(
      h,
      () => h.act('indicator-submit', other.patient, submission(w, other.pseudonym, high, { rangeFor: inRange })),
      'INDICATOR_OUT_OF_RANGE',
    );
    await h.act('indicator-submit', other.patient, submission(w, other.pseudonym, inRange));
    const agg = await aggregates(w);
    expect(agg.indicators.map((i) => [i.readings, decrypt(w, i.sum as string)])).toEqual([
      [5, 615 + 400],
      [5, 245 + 160],
    ]);
    const s = await series(w);
    const mine = s.participants.find((p) => p.pseudonym === pseudonym);
    expect(mine?.periods.map((p) => [p.period, p.days, ...p.sums.map((x) => decrypt(w, x))])).toEqual([
      [0, 3, 615, 245],
    ]);
  });
});

describe('indicators: the series counts participants with readings (§21.5)', () => {
  it('k joined is not enough: the series waits for k participants with readings, and a leave counts down', async () => {
    const w = await world();
    const { h } = w;
    const joined = [await join(w), await join(w), await join(w)];
    await rejects(h, () => series(w), 'INDICATOR_K_NOT_REACHED', /0 current participants have readings/);
    await submit(w, joined[0]!.patient, joined[0]!.pseudonym, TODAY, [120, 80]);
    await submit(w, joined[1]!.patient, joined[1]!.pseudonym, TODAY, [121, 81]);
    // a second day of one participant does not count twice
    await submit(w, joined[1]!.patient, joined[1]!.pseudonym, TODAY - 1, [122, 82]);
    await rejects(h, () => series(w), 'INDICATOR_K_NOT_REACHED', /2 current participants have readings/);
    await submit(w, joined[2]!.patient, joined[2]!.pseudonym, TODAY, [123, 83]);
    expect((await series(w)).participants).toHaveLength(3);
    await h.act('indicator-leave', joined[0]!.patient, { studyId: w.studyId });
    await rejects(h, () => series(w), 'INDICATOR_K_NOT_REACHED', /2 current participants have readings/);
    // a participant who joins without readings does not bring the series back
    await join(w);
    await rejects(h, () => series(w), 'INDICATOR_K_NOT_REACHED', /2 current participants have readings/);
  });

  it('a page of a long window with many indicators serves fewer participants than asked, and goes on from its bookmark', async () => {
    const indicators = Array.from({ length: 8 }, (_, i) => ({
      name: `v${i}`,
      unit: 'u',
      scale: 1 as const,
      lo: 0,
      hi: 255,
    }));
    // 366 days × 8 indicators = 2,928 readings a participant: one participant a page (SERIES_PAGE_CELLS 4,096).
    const w = await world({
      indicators,
      window: { startDay: TODAY - 365, days: 366 },
      output: { granularity: 'week', k: 2 },
    });
    const joined = [await join(w), await join(w)];
    for (const j of joined) await submit(w, j.patient, j.pseudonym, TODAY, [1, 2, 3, 4, 5, 6, 7, 8]);
    const first = await series(w, w.institution, { pageSize: 20 });
    expect(first.participants).toHaveLength(1);
    expect(first.bookmark).not.toBe('');
    const rest = await series(w, w.institution, { pageSize: 20, bookmark: first.bookmark });
    expect(rest.participants).toHaveLength(1);
    expect(rest.bookmark).toBe('');
    expect([...first.participants, ...rest.participants].map((p) => p.pseudonym).sort()).toEqual(
      joined.map((j) => j.pseudonym).sort(),
    );
  });
});

describe('indicators: output refusals', () => {
  it('aggregates and series are the institution’s only; the series waits for k participants', async () => {
    const w = await world();
    const { h } = w;
    const { patient } = await join(w);
    const otherInstitution = await h.registerDoctor(ORG2, 'institution');
    for (const who of [patient, otherInstitution, w.doctor]) {
      await rejects(h, () => aggregates(w, who), 'ACCESS_LIST_FORBIDDEN');
      await rejects(h, () => series(w, who), 'ACCESS_LIST_FORBIDDEN');
    }
    await rejects(h, () => series(w), 'INDICATOR_K_NOT_REACHED', /k = 3/);
    const agg = await aggregates(w);
    expect(agg.indicators.every((i) => i.sum === null)).toBe(true);
    const restore = await h.setUserStatus(w.institution, 'pending');
    await rejects(h, () => aggregates(w), 'NOT_APPROVED');
    await restore();
    await rejects(
      h,
      () => w.h.act('indicator-aggregates', w.institution, { studyId: 'ab'.repeat(32) }, ORG2),
      'STUDY_NOT_FOUND',
    );
  });
});
