// SPDX-License-Identifier: Apache-2.0
/**
 * The patient's proofs (docs/protocol.md §21.3, §21.4), made in the app from data that never
 * leaves it: the keyword-membership proof of a join, and a submission's ciphertexts with their
 * validity and range proofs. Each refuses locally, before anything is sent, what the contract
 * would refuse: a keyword outside the study's set (KEYWORD_NOT_MATCHED), a value outside its range
 * (INDICATOR_OUT_OF_RANGE), a missing reading or a day outside the window.
 */
import { fromHex, toHex, utf8 } from '@medshare/crypto/bytes';
import { SM2_N } from '@medshare/crypto/sm2';
import { proveMembership, proveRange, proveValid, twistedAdd, twistedEncrypt, type Opening } from '@medshare/crypto/zk';
import {
  fail,
  joinContext,
  lastDay,
  rangeBits,
  submissionRanges,
  submitContext,
  INDICATOR_VALUE_MAX,
  SUBMISSION_MAX_CIPHERTEXTS,
  type IndicatorDay,
  type IndicatorSpec,
  type IndicatorStudyDefinition,
  type IndicatorSubmitBody,
} from '@medshare/protocol';
import type { DailyReadings, KeywordOpening } from './patient-store';

/** The attested record whose keyword is in the study's set, or KEYWORD_NOT_MATCHED (nothing is sent). */
export function matchingOpening(
  study: Pick<IndicatorStudyDefinition, 'keywords'>,
  openings: readonly KeywordOpening[],
): KeywordOpening {
  const found = openings.find((o) => study.keywords.includes(o.keyword));
  if (!found)
    throw fail(
      'KEYWORD_NOT_MATCHED',
      openings.length === 0
        ? 'no record of this patient carries a keyword attestation'
        : "no attested record's keyword is in the study's keyword set",
    );
  return found;
}

/** The join's membership proof (§20.4) of the opening's commitment against the study's keywords, hex. */
export function joinProof(
  study: Pick<IndicatorStudyDefinition, 'keywords'>,
  studyId: string,
  opening: KeywordOpening,
): string {
  if (!study.keywords.includes(opening.keyword))
    throw fail('KEYWORD_NOT_MATCHED', "the record's keyword is not in the study's keyword set");
  return toHex(
    proveMembership({
      commitment: fromHex(opening.commitment),
      keywords: study.keywords.map((k) => utf8(k)),
      keyword: utf8(opening.keyword),
      blinding: BigInt(`0x${opening.blinding}`),
      context: joinContext(studyId, opening.recordId),
    }),
  );
}

/** A reading in its unit as the integer that travels: round(value · scale). */
export function scaled(spec: IndicatorSpec, value: number, where: string): bigint {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0)
    throw fail('INVALID_INPUT', `${where} must be a non-negative number`);
  const v = Math.round(value * spec.scale);
  if (v > INDICATOR_VALUE_MAX) throw fail('INDICATOR_OUT_OF_RANGE', `${where} is beyond any range of the study`);
  return BigInt(v);
}

const unscaled = (spec: IndicatorSpec, v: bigint): string => `${Number(v) / spec.scale} ${spec.unit}`;

/** The scaled readings of each day, one per indicator in the study's order; a missing one is INVALID_INPUT. */
function scaledDays(study: IndicatorStudyDefinition, days: readonly DailyReadings[]): bigint[][] {
  return days.map((d) =>
    study.indicators.map((spec) => {
      const value = d.values[spec.name];
      if (value === undefined) throw fail('INVALID_INPUT', `day ${d.day} has no ${spec.name} reading`);
      return scaled(spec, value, `day ${d.day} ${spec.name}`);
    }),
  );
}

/** The days' shape as the contract checks it (§21.4), refused here before anything is encrypted. */
function checkDays(study: IndicatorStudyDefinition, days: readonly DailyReadings[], today: number): void {
  if (days.length === 0) throw fail('INVALID_INPUT', 'a submission needs at least one day');
  if (study.check === 'value' && days.length !== 1)
    throw fail('INVALID_INPUT', 'this study checks each value: submit one day at a time');
  if (days.length * study.indicators.length > SUBMISSION_MAX_CIPHERTEXTS)
    throw fail('INVALID_INPUT', `a submission holds at most ${SUBMISSION_MAX_CIPHERTEXTS} readings`);
  days.forEach((d, i) => {
    if (i > 0 && d.day <= (days[i - 1] as DailyReadings).day)
      throw fail('INVALID_INPUT', 'the days must be ascending and distinct');
    if (d.day < study.window.startDay || d.day > lastDay(study.window) || d.day > today)
      throw fail('INDICATOR_DAY_OUTSIDE_WINDOW', `day ${d.day} is outside the study's window or in the future`);
  });
}

/** Each range-proved value in its range (§21.4: the day's readings, or the per-indicator sums), else INDICATOR_OUT_OF_RANGE. */
function checkRanges(study: IndicatorStudyDefinition, values: readonly bigint[][]): bigint[] {
  const ranges = submissionRanges(study, values.length);
  const proved = study.indicators.map((_, i) => values.reduce((sum, day) => sum + (day[i] as bigint), 0n));
  study.indicators.forEach((spec, i) => {
    const v = proved[i] as bigint;
    const { lo, hi } = ranges[i] as { lo: bigint; hi: bigint };
    if (v < lo || v > hi) {
      const what = study.check === 'mean' ? `the ${values.length}-day sum of ${spec.name}` : spec.name;
      throw fail(
        'INDICATOR_OUT_OF_RANGE',
        // The value itself stays out of the message: an SDK caller may log errors.
        `${what} is outside the study's range [${unscaled(spec, lo)}, ${unscaled(spec, hi)}]`,
      );
    }
  });
  return proved;
}

/**
 * A submission's body (§21.4): every reading encrypted under the study key, one validity proof
 * over all of them, one range proof over the day's readings (check `value`) or the per-indicator
 * sums of the days (check `mean`), both bound to `submitContext(studyId, pseudonym, days)`.
 * Everything is checked first: a refusal sends nothing and changes nothing.
 */
export function buildSubmission(input: {
  readonly studyId: string;
  readonly study: IndicatorStudyDefinition;
  readonly pseudonym: string;
  readonly days: readonly DailyReadings[];
  readonly today: number;
}): IndicatorSubmitBody {
  const { study, studyId, pseudonym, days } = input;
  checkDays(study, days, input.today);
  const values = scaledDays(study, days);
  const proved = checkRanges(study, values);
  const publicKey = fromHex(study.publicKey);
  const encrypted = values.map((day) => day.map((v) => ({ value: v, ...twistedEncrypt(publicKey, v) })));
  const all = encrypted.flat();
  const context = submitContext(
    studyId,
    pseudonym,
    days.map((d) => d.day),
  );
  const openings = (items: readonly { value: bigint; randomness: bigint }[]): Opening[] =>
    items.map(({ value, randomness }) => ({ value, randomness }));
  const validity = proveValid({
    publicKey,
    ciphertexts: all.map((e) => e.ciphertext),
    openings: openings(all),
    context,
  });
  // The range statement's ciphertexts: the day's own (value), or each indicator's homomorphic sum (mean).
  const columns = study.indicators.map((_, i) => encrypted.map((day) => day[i] as (typeof all)[number]));
  const rangeCiphertexts = columns.map((col) =>
    col.length === 1 ? (col[0] as (typeof all)[number]).ciphertext : twistedAdd(...col.map((e) => e.ciphertext)),
  );
  const rangeOpenings = columns.map((col, i) => ({
    value: proved[i] as bigint,
    randomness: col.reduce((sum, e) => sum + e.randomness, 0n) % SM2_N,
  }));
  const ranges = submissionRanges(study, days.length);
  const range = proveRange({
    publicKey,
    ciphertexts: rangeCiphertexts,
    openings: rangeOpenings,
    ranges,
    bits: rangeBits(ranges),
    context,
  });
  const bodyDays: IndicatorDay[] = days.map((d, i) => ({
    day: d.day,
    readings: (encrypted[i] as (typeof all)[number][]).map((e) => toHex(e.ciphertext)),
  }));
  return { studyId, days: bodyDays, validity: toHex(validity), range: toHex(range) };
}
