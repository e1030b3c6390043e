// SPDX-License-Identifier: Apache-2.0
import { fromHex, toHex, utf8 } from '@medshare/crypto/bytes';
import { sm3 } from '@medshare/crypto/sm3';
import {
  decodeCiphertext,
  decodePoint,
  EMPTY_AGGREGATE,
  twistedAdd,
  verifyMembership,
  verifyRange,
  verifyValid,
} from '@medshare/crypto/zk';
import {
  completeIndicatorStudy,
  dayOf,
  fail,
  INDICATOR_STUDY_ID_LABEL,
  joinContext,
  lastDay,
  participantPseudonym,
  periodOf,
  rangeBits,
  SERIES_PAGE_CELLS,
  submissionRanges,
  submitContext,
  type IndicatorAggregate,
  type IndicatorPeriod,
  type IndicatorStudyResult,
  type IndicatorSubmitBody,
} from '@medshare/protocol';
import { Info, Returns, Transaction } from 'fabric-contract-api';
import { recordAccess } from '../../audit-log/audit-log';
import { adminStudyTrailPage, studyAccess } from '../../audit-log/study-audit';
import { assertEnvironment } from '../../environment/environment';
import { assertSig1, authenticate, type Authenticated } from '../../signature-chain/authenticate';
import { respond } from '../../signature-chain/respond';
import { sortableDay } from '../../state/keys';
import type { LedgerState } from '../../state/state';
import { MedshareBaseContract, type MedshareContractOptions } from '../base-contract';
// A value import: the decorators read the context's class from the parameter types.
import { MedshareContext } from '../context';
import { assertKeywordAttestation } from '../records/keyword-attestation';
import { ownerOnly } from '../records/rules';
import { activeAuthor, requireInstitution } from '../registry/rules';
import { requireUser } from '../registry/tables';
import type { IndicatorDayState, IndicatorStudyState, IndicatorTotalState } from './model';
import {
  allTotals,
  assertIndicatorStudyOpen,
  assertInstitutionActive,
  currentParticipant,
  indicatorStudyIsOpen,
  participantCount,
  requireIndicatorStudy,
  signedActiveAuthor,
  zkCheck,
  zkDecode,
} from './rules';
import { indicatorStudies, participantCounts, participants, runningTotals, submittedDays } from './tables';

async function studyResult(state: LedgerState, study: IndicatorStudyState, now: number): Promise<IndicatorStudyResult> {
  return {
    ...study,
    open: indicatorStudyIsOpen(study, now),
    participants: (await participantCount(state, study.studyId)).participants,
  };
}

/** The homomorphic sum of hex ciphertexts or aggregates, as aggregate hex (the empty sum: all zeros). */
function sumHex(parts: readonly string[]): string {
  return toHex(twistedAdd(EMPTY_AGGREGATE, ...parts.map((p) => fromHex(p))));
}

/** Per indicator, the sum of the days' readings (aggregate hex). */
function sumDays(days: readonly { readonly readings: readonly string[] }[], indicators: number): string[] {
  return Array.from({ length: indicators }, (_, i) => sumHex(days.map((d) => d.readings[i] as string)));
}

/**
 * The checks of a submission's days (docs/protocol.md §21.4), in order: check `value` takes one
 * day; each day in the window and not after today, and not submitted before; each day a ciphertext
 * per indicator, each of which decodes.
 */
async function assertDays(
  state: LedgerState,
  study: IndicatorStudyState,
  pseudonym: string,
  body: IndicatorSubmitBody,
  now: number,
): Promise<void> {
  const { window, check, indicators } = study.study;
  if (check === 'value' && body.days.length !== 1)
    throw fail('INVALID_INPUT', 'request.body.days must hold exactly one day: the study checks each value');
  const today = dayOf(now);
  for (const [i, { day }] of body.days.entries()) {
    if (day < window.startDay || day > lastDay(window) || day > today)
      throw fail(
        'INDICATOR_DAY_OUTSIDE_WINDOW',
        `request.body.days[${i}].day ${day} is outside the window [${window.startDay}, ${lastDay(window)}] or after today (${today})`,
      );
    if (await submittedDays.exists(state, { studyId: study.studyId, pseudonym, day: sortableDay(day) }))
      throw fail('INDICATOR_DAY_SUBMITTED', `request.body.days[${i}].day ${day} was already submitted`);
  }
  for (const [i, { readings }] of body.days.entries()) {
    if (readings.length !== indicators.length)
      throw fail(
        'INVALID_INPUT',
        `request.body.days[${i}].readings must hold one ciphertext per indicator (${indicators.length})`,
      );
    readings.forEach((reading, j) => {
      const name = `request.body.days[${i}].readings[${j}]`;
      zkDecode(name, () => decodeCiphertext(fromHex(reading), name));
    });
  }
}

/**
 * The submission's proofs (§21.4), both bound to `submitContext`: the validity proof over every
 * reading in the body's order, then the range proof over one ciphertext per indicator (the day's
 * reading, or for check `mean` the sum of the days' readings) against the study's ranges.
 */
function assertProofs(study: IndicatorStudyState, pseudonym: string, body: IndicatorSubmitBody): void {
  const publicKey = fromHex(study.study.publicKey);
  const context = submitContext(
    study.studyId,
    pseudonym,
    body.days.map((d) => d.day),
  );
  const readings = body.days.flatMap((d) => d.readings.map((r) => fromHex(r)));
  zkCheck('request.body.validity', 'INDICATOR_PROOF_INVALID', 'the validity proof does not verify', () =>
    verifyValid({ publicKey, ciphertexts: readings, context, proof: fromHex(body.validity) }),
  );
  const ranges = submissionRanges(study.study, body.days.length);
  const ciphertexts =
    study.study.check === 'mean'
      ? sumDays(body.days, study.study.indicators.length).map((s) => fromHex(s))
      : (body.days[0] as IndicatorSubmitBody['days'][number]).readings.map((r) => fromHex(r));
  zkCheck(
    'request.body.range',
    'INDICATOR_OUT_OF_RANGE',
    "the range proof does not verify: a reading (or a mean's sum) is outside the study's range",
    () => verifyRange({ publicKey, ciphertexts, ranges, bits: rangeBits(ranges), context, proof: fromHex(body.range) }),
  );
}

/** The institution's own read of its study (ACCESS_LIST_FORBIDDEN for anyone else): registered, active, sig1. */
async function institutionRead(
  state: LedgerState,
  auth: Authenticated<'indicator-aggregates' | 'indicator-series'>,
): Promise<IndicatorStudyState> {
  const study = await requireIndicatorStudy(state, auth.request.body.studyId);
  if (auth.request.keyId !== study.institutionKeyId)
    throw fail('ACCESS_LIST_FORBIDDEN', "request.keyId is not the study's institution");
  await activeAuthor(state, auth);
  return study;
}

/** One participant's periods (§21.5): per release period, its days with readings and their sums. */
function periodsOf(study: IndicatorStudyState, days: readonly IndicatorDayState[]): IndicatorPeriod[] {
  const byPeriod = new Map<number, IndicatorDayState[]>();
  for (const day of days) {
    const period = periodOf(study.study, day.day);
    byPeriod.set(period, [...(byPeriod.get(period) ?? []), day]);
  }
  return [...byPeriod.entries()]
    .sort(([a], [b]) => a - b)
    .map(([period, inPeriod]) => ({
      period,
      days: inPeriod.length,
      sums: sumDays(inPeriod, study.study.indicators.length),
    }));
}

/**
 * Participants a series page serves: the request's size, fewer when each participant's window
 * holds many cells (days × indicators), so that a page sums at most SERIES_PAGE_CELLS readings
 * (about 0.2 ms each); at least one. The bookmark continues where the page stopped.
 */
function seriesPageSize(study: IndicatorStudyState, requested: number): number {
  const cells = study.study.window.days * study.study.indicators.length;
  return Math.max(1, Math.min(requested, Math.floor(SERIES_PAGE_CELLS / cells)));
}

/** Per indicator, the sum of the current participants' totals; null below k participants with readings. */
function aggregates(study: IndicatorStudyState, totals: readonly IndicatorTotalState[]): IndicatorAggregate[] {
  const withReadings = totals.filter((t) => t.days > 0);
  return study.study.indicators.map((spec, i) => ({
    name: spec.name,
    participants: withReadings.length,
    readings: withReadings.reduce((n, t) => n + t.days, 0),
    sum: withReadings.length < study.study.output.k ? null : sumHex(withReadings.map((t) => t.sums[i] as string)),
  }));
}

@Info({
  title: 'indicators',
  description:
    "medshare daily indicators: institutions' indicator studies, joins by zero-knowledge keyword match, range-proved encrypted readings, homomorphic aggregates and pseudonymous series for the study's institution",
})
export class IndicatorsContract extends MedshareBaseContract {
  constructor(options: MedshareContractOptions = {}) {
    super('indicators', options);
  }

  /** An approved institution publishes an indicator study; the definition was checked when the request was parsed. */
  @Transaction()
  @Returns('string')
  async PublishStudy(ctx: MedshareContext, envelope: string): Promise<string> {
    const { state } = ctx;
    const auth = await authenticate(ctx, state, envelope, 'indicator-study-publish', { consumeNonce: true });
    const institution = await requireInstitution(state, auth.request.keyId, 'the author');
    assertSig1(institution.publicKey, auth.envelope, 'the institution');
    const input = auth.request.body.study;
    try {
      decodePoint(fromHex(input.publicKey), 'request.body.study.publicKey');
    } catch (cause) {
      if (!(cause instanceof RangeError)) throw cause;
      throw fail('STUDY_KEY_INVALID', `request.body.study.publicKey is not a point of the curve: ${cause.message}`);
    }
    const studyId = toHex(sm3(utf8(`${INDICATOR_STUDY_ID_LABEL}${ctx.stub.getTxID()}`)));
    const study: IndicatorStudyState = {
      studyId,
      institutionKeyId: institution.keyId,
      study: completeIndicatorStudy(input),
      publishedAt: auth.now,
    };
    await indicatorStudies.put(state, { studyId }, study);
    await participantCounts.put(state, { studyId }, { participants: 0, reporting: 0 });
    await studyAccess(ctx, state, auth, { studyId, action: 'study-publish' });
    return respond(ctx, this.contractKey, auth, {
      studyId,
      institutionKeyId: institution.keyId,
      publishedAt: auth.now,
    });
  }

  @Transaction(false)
  @Returns('string')
  async GetStudy(ctx: MedshareContext, envelope: string): Promise<string> {
    const { state } = ctx;
    const auth = await authenticate(ctx, state, envelope, 'indicator-study-get', { consumeNonce: false });
    await activeAuthor(state, auth);
    const study = await requireIndicatorStudy(state, auth.request.body.studyId);
    return respond(ctx, this.contractKey, auth, await studyResult(state, study, auth.now));
  }

  @Transaction(false)
  @Returns('string')
  async ListStudies(ctx: MedshareContext, envelope: string): Promise<string> {
    const { state } = ctx;
    const auth = await authenticate(ctx, state, envelope, 'indicator-study-list', { consumeNonce: false });
    await activeAuthor(state, auth);
    const { pageSize, bookmark } = auth.request.body;
    const page = await indicatorStudies.page(state, {}, pageSize, bookmark);
    const studies: IndicatorStudyResult[] = [];
    for (const study of page.items) studies.push(await studyResult(state, study, auth.now));
    return respond(ctx, this.contractKey, auth, { studies, bookmark: page.bookmark });
  }

  /**
   * A patient joins with a record whose hospital attested a keyword: the checks of docs/protocol.md
   * §21.3 in order, the membership proof last (the costliest). The participant gets a pseudonym
   * fixed by this transaction; the study's trail names only that.
   */
  @Transaction()
  @Returns('string')
  async Join(ctx: MedshareContext, envelope: string): Promise<string> {
    const { state } = ctx;
    const auth = await authenticate(ctx, state, envelope, 'indicator-join', { consumeNonce: true });
    const { studyId, recordId, proof } = auth.request.body;
    const study = await requireIndicatorStudy(state, studyId);
    assertIndicatorStudyOpen(study, auth.now);
    const record = await ownerOnly(state, auth, recordId);
    const owner = await requireUser(state, record.owner);
    if (owner.status !== 'active') throw fail('NOT_APPROVED', `the patient ${owner.keyId} is not active`);
    await assertEnvironment(state, auth, { holder: record.owner });
    await assertInstitutionActive(state, study);
    const attestation = record.keywordAttestation;
    if (!attestation) throw fail('KEYWORD_NOT_ATTESTED', 'the record carries no keyword attestation');
    await assertKeywordAttestation(state, record.owner, attestation, "the record's keywordAttestation");
    const key = { studyId, keyId: record.owner };
    if (await participants.exists(state, key))
      throw fail('ALREADY_JOINED', 'request.keyId has joined this study already (or left it)');
    const count = await participantCount(state, studyId);
    if (count.participants >= study.study.maxParticipants)
      throw fail('STUDY_FULL', `the study has its ${study.study.maxParticipants} participants`);
    zkCheck(
      'request.body.proof',
      'KEYWORD_NOT_MATCHED',
      "the record's keyword is not shown to be in the study's set",
      () =>
        verifyMembership({
          commitment: fromHex(attestation.commitment),
          keywords: study.study.keywords.map((k) => utf8(k)),
          context: joinContext(studyId, recordId),
          proof: fromHex(proof),
        }),
    );
    const pseudonym = participantPseudonym(studyId, ctx.stub.getTxID());
    await participants.put(state, key, { pseudonym, recordId, joinedAt: auth.now });
    const empty = study.study.indicators.map(() => toHex(EMPTY_AGGREGATE));
    await runningTotals.put(state, { studyId, pseudonym }, { pseudonym, sums: empty, days: 0 });
    await participantCounts.put(state, { studyId }, { ...count, participants: count.participants + 1 });
    await studyAccess(ctx, state, auth, { studyId, action: 'indicator-join', pseudonym });
    await recordAccess(ctx, state, auth, {
      recordId,
      owner: record.owner,
      action: 'indicator-join',
      subjectKeyId: study.institutionKeyId,
      studyId,
    });
    return respond(ctx, this.contractKey, auth, { studyId, pseudonym, joinedAt: auth.now });
  }

  /**
   * A participant submits days of readings (docs/protocol.md §21.4): each day's ciphertexts are
   * stored and added into the participant's running total once both proofs verify.
   */
  @Transaction()
  @Returns('string')
  async Submit(ctx: MedshareContext, envelope: string): Promise<string> {
    const { state } = ctx;
    const auth = await authenticate(ctx, state, envelope, 'indicator-submit', { consumeNonce: true });
    const { body } = auth.request;
    const { studyId } = body;
    const study = await requireIndicatorStudy(state, studyId);
    assertIndicatorStudyOpen(study, auth.now);
    const { pseudonym } = await currentParticipant(state, studyId, auth.request.keyId);
    await signedActiveAuthor(state, auth, auth.request.keyId);
    await assertEnvironment(state, auth, { holder: auth.request.keyId });
    await assertInstitutionActive(state, study);
    await assertDays(state, study, pseudonym, body, auth.now);
    assertProofs(study, pseudonym, body);

    for (const { day, readings } of body.days)
      await submittedDays.put(
        state,
        { studyId, pseudonym, day: sortableDay(day) },
        { day, readings, submittedAt: auth.now },
      );
    const total = await runningTotals.get(state, { studyId, pseudonym });
    if (!total) throw fail('INTERNAL', `the running total of participant ${pseudonym} is missing`);
    const added = sumDays(body.days, study.study.indicators.length);
    await runningTotals.replace(state, { studyId, pseudonym }, total, {
      pseudonym,
      sums: total.sums.map((sum, i) => sumHex([sum, added[i] as string])),
      days: total.days + body.days.length,
    });
    // A participant's first readings make it count towards the series' k (once per participant).
    if (total.days === 0) {
      const count = await participantCount(state, studyId);
      await participantCounts.put(state, { studyId }, { ...count, reporting: count.reporting + 1 });
    }
    const days = body.days.map((d) => d.day);
    await studyAccess(ctx, state, auth, { studyId, action: 'indicator-submit', pseudonym, days });
    return respond(ctx, this.contractKey, auth, { studyId, pseudonym, days, submittedAt: auth.now });
  }

  /** A participant leaves (also after the window): its days and total are deleted, so the next output lacks them. */
  @Transaction()
  @Returns('string')
  async Leave(ctx: MedshareContext, envelope: string): Promise<string> {
    const { state } = ctx;
    const auth = await authenticate(ctx, state, envelope, 'indicator-leave', { consumeNonce: true });
    const { studyId } = auth.request.body;
    const study = await requireIndicatorStudy(state, studyId);
    const key = { studyId, keyId: auth.request.keyId };
    const participant = await currentParticipant(state, studyId, key.keyId);
    await signedActiveAuthor(state, auth, key.keyId);
    const { pseudonym } = participant;
    const days = await submittedDays.all(state, { studyId, pseudonym });
    for (const day of days) await submittedDays.delete(state, { studyId, pseudonym, day: sortableDay(day.day) }, day);
    const total = await runningTotals.get(state, { studyId, pseudonym });
    await runningTotals.delete(state, { studyId, pseudonym });
    await participants.replace(state, key, participant, { ...participant, leftAt: auth.now });
    const count = await participantCount(state, studyId);
    await participantCounts.put(
      state,
      { studyId },
      {
        participants: Math.max(0, count.participants - 1),
        reporting: Math.max(0, count.reporting - ((total?.days ?? 0) > 0 ? 1 : 0)),
      },
    );
    await studyAccess(ctx, state, auth, { studyId, action: 'indicator-leave', pseudonym });
    await recordAccess(ctx, state, auth, {
      recordId: participant.recordId,
      owner: key.keyId,
      action: 'indicator-leave',
      subjectKeyId: study.institutionKeyId,
      studyId,
    });
    return respond(ctx, this.contractKey, auth, { studyId, pseudonym, removedDays: days.length, leftAt: auth.now });
  }

  /** The study's aggregates, for its institution (submitted: it audits). */
  @Transaction()
  @Returns('string')
  async GetAggregates(ctx: MedshareContext, envelope: string): Promise<string> {
    const { state } = ctx;
    const auth = await authenticate(ctx, state, envelope, 'indicator-aggregates', { consumeNonce: true });
    const study = await institutionRead(state, auth);
    const { studyId } = study;
    const totals = await allTotals(state, studyId);
    await studyAccess(ctx, state, auth, { studyId, action: 'indicator-aggregates' });
    return respond(ctx, this.contractKey, auth, {
      studyId,
      k: study.study.output.k,
      participants: totals.length,
      indicators: aggregates(study, totals),
      asOf: auth.now,
    });
  }

  /** One page of the pseudonymous series, for the study's institution, once k participants are current. */
  @Transaction()
  @Returns('string')
  async GetSeries(ctx: MedshareContext, envelope: string): Promise<string> {
    const { state } = ctx;
    const auth = await authenticate(ctx, state, envelope, 'indicator-series', { consumeNonce: true });
    const study = await institutionRead(state, auth);
    const { studyId, output } = { studyId: study.studyId, output: study.study.output };
    // k participants with readings, as for an aggregate: k joined of whom fewer report would
    // release the reporting few's series that the aggregates withhold.
    const { reporting } = await participantCount(state, studyId);
    if (reporting < output.k)
      throw fail(
        'INDICATOR_K_NOT_REACHED',
        `${reporting} current participants have readings; the series needs k = ${output.k}`,
      );
    const { pageSize, bookmark } = auth.request.body;
    const page = await runningTotals.scanPage(state, { studyId }, seriesPageSize(study, pageSize), bookmark);
    const series = [];
    for (const { pseudonym } of page.items) {
      const days = await submittedDays.all(state, { studyId, pseudonym });
      series.push({ pseudonym, periods: periodsOf(study, days) });
    }
    await studyAccess(ctx, state, auth, { studyId, action: 'indicator-series', entries: series.length });
    return respond(ctx, this.contractKey, auth, { studyId, participants: series, bookmark: page.bookmark });
  }

  /** An admin of the study's institution's organization reads the study's audit trail (no data, no patient key). */
  @Transaction(false)
  @Returns('string')
  AdminStudyTrail(ctx: MedshareContext, studyId: string, pageSize: string, bookmark: string): Promise<string> {
    return adminStudyTrailPage(
      ctx,
      { studyId, pageSize, bookmark },
      async (state, id) => (await requireIndicatorStudy(state, id)).institutionKeyId,
    );
  }
}
