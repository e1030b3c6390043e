// SPDX-License-Identifier: Apache-2.0
/** A hypertension study for the indicator tests (the demo's shape), with a fresh study key. */
import { fromHex, toHex } from '@medshare/crypto/bytes';
import { proveRange, proveValid, twistedEncrypt, twistedKeyGen } from '@medshare/crypto/zk';
import {
  completeIndicatorStudy,
  rangeBits,
  submissionRanges,
  submitContext,
  type IndicatorStudyDefinition,
  type IndicatorStudyInput,
  type IndicatorSubmitBody,
} from '@medshare/protocol';

export const TODAY = 20_788;

/** The study as an institution writes it, before its key: two weeks from `startDay`, each value checked, per week, k 5. */
export function hypertensionInput(startDay: number): Omit<IndicatorStudyInput, 'publicKey'> {
  return {
    title: 'Home blood pressure in hypertension',
    keywords: ['I10', 'I11', 'I15'],
    indicators: [
      { name: 'systolic', unit: 'mmHg', scale: 1, lo: 90, hi: 180 },
      { name: 'diastolic', unit: 'mmHg', scale: 1, lo: 50, hi: 120 },
      { name: 'heartRate', unit: 'bpm', scale: 1, lo: 40, hi: 180 },
    ],
    window: { startDay, days: 14 },
    check: 'value',
    output: { granularity: 'week', k: 5 },
  };
}

export function hypertensionStudy(overrides: Partial<IndicatorStudyDefinition> = {}): {
  study: IndicatorStudyDefinition;
  secretKey: Uint8Array;
} {
  const key = twistedKeyGen();
  const study = completeIndicatorStudy({ ...hypertensionInput(TODAY - 10), publicKey: toHex(key.publicKey) });
  return { study: { ...study, ...overrides }, secretKey: key.secretKey };
}

/**
 * What a modified app might send (the tests' tampered submission): ciphertexts of `sent` with a
 * valid validity proof over them, but a range proof made for fresh ciphertexts of `proved`. The
 * contract must refuse it with INDICATOR_OUT_OF_RANGE (the validity proof passes; the range proof
 * is not for these ciphertexts).
 */
export function mismatchedRangeSubmission(input: {
  studyId: string;
  study: Pick<IndicatorStudyDefinition, 'publicKey' | 'indicators' | 'check'>;
  pseudonym: string;
  day: number;
  sent: readonly bigint[];
  proved: readonly bigint[];
}): IndicatorSubmitBody {
  const { studyId, study, pseudonym, day } = input;
  const context = submitContext(studyId, pseudonym, [day]);
  const publicKey = fromHex(study.publicKey);
  const encrypt = (values: readonly bigint[]): Array<{ value: bigint; randomness: bigint; ciphertext: Uint8Array }> =>
    values.map((value) => ({ value, ...twistedEncrypt(publicKey, value) }));
  const opening = (e: { value: bigint; randomness: bigint }): { value: bigint; randomness: bigint } => ({
    value: e.value,
    randomness: e.randomness,
  });
  const [sent, proved] = [encrypt(input.sent), encrypt(input.proved)];
  const ranges = submissionRanges(study, 1);
  return {
    studyId,
    days: [{ day, readings: sent.map((e) => toHex(e.ciphertext)) }],
    validity: toHex(
      proveValid({ publicKey, ciphertexts: sent.map((e) => e.ciphertext), openings: sent.map(opening), context }),
    ),
    range: toHex(
      proveRange({
        publicKey,
        ciphertexts: proved.map((e) => e.ciphertext),
        openings: proved.map(opening),
        ranges,
        bits: rangeBits(ranges),
        context,
      }),
    ),
  };
}
