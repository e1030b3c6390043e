// SPDX-License-Identifier: Apache-2.0
import { fromHex, utf8 } from '@medshare/crypto/bytes';
import { generateKeyPair } from '@medshare/crypto/sm2';
import { twistedAdd, twistedDecrypt, verifyMembership, verifyRange, verifyValid } from '@medshare/crypto/zk';
import {
  joinContext,
  keyIdOf,
  parseIndicatorJoinBody,
  parseIndicatorSubmitBody,
  rangeBits,
  submissionRanges,
  submitContext,
  type IndicatorStudyDefinition,
  type IndicatorSubmitBody,
} from '@medshare/protocol';
import { hypertensionStudy, TODAY } from '../testing/indicator-fixtures';
import { attestKeyword } from './keyword';
import type { KeywordOpening } from './patient-store';
import { buildSubmission, joinProof, matchingOpening } from './proofs';

const STUDY_ID = '5'.repeat(64);
const RECORD_ID = '7'.repeat(64);
const PSEUDONYM = '9'.repeat(32);

function openingFor(keyword: string, recordId = RECORD_ID): KeywordOpening {
  const h = attestKeyword(generateKeyPair(), { patientKeyId: keyIdOf(generateKeyPair().publicKey), keyword });
  return { recordId, keyword: h.keyword, blinding: h.blinding, ...h.attestation };
}

/** What the contract checks of a submission (§21.4), with the crypto verifiers. */
function verifies(study: IndicatorStudyDefinition, body: IndicatorSubmitBody): { validity: boolean; range: boolean } {
  const publicKey = fromHex(study.publicKey);
  const context = submitContext(
    body.studyId,
    PSEUDONYM,
    body.days.map((d) => d.day),
  );
  const all = body.days.flatMap((d) => d.readings.map((r) => fromHex(r)));
  const columns = study.indicators.map((_, i) => body.days.map((d) => fromHex(d.readings[i] as string)));
  const ciphertexts = columns.map((c) => (c.length === 1 ? (c[0] as Uint8Array) : twistedAdd(...c)));
  const ranges = submissionRanges(study, body.days.length);
  return {
    validity: verifyValid({ publicKey, ciphertexts: all, context, proof: fromHex(body.validity) }),
    range: verifyRange({
      publicKey,
      ciphertexts,
      ranges,
      bits: rangeBits(ranges),
      context,
      proof: fromHex(body.range),
    }),
  };
}

describe("the patient's join proof (docs/protocol.md §21.3)", () => {
  const { study } = hypertensionStudy();

  it('finds the record whose keyword is in the set; its proof verifies for that study and record only', () => {
    const opening = matchingOpening(study, [openingFor('E11', '1'.repeat(64)), openingFor('I11')]);
    expect(opening.keyword).toBe('I11');
    const proof = joinProof(study, STUDY_ID, opening);
    expect(parseIndicatorJoinBody({ studyId: STUDY_ID, recordId: RECORD_ID, proof }, 'body').proof).toBe(proof);
    const args = { commitment: fromHex(opening.commitment), keywords: study.keywords.map((k) => utf8(k)) };
    expect(verifyMembership({ ...args, context: joinContext(STUDY_ID, RECORD_ID), proof: fromHex(proof) })).toBe(true);
    expect(verifyMembership({ ...args, context: joinContext(STUDY_ID, '8'.repeat(64)), proof: fromHex(proof) })).toBe(
      false,
    );
    expect(verifyMembership({ ...args, context: joinContext('6'.repeat(64), RECORD_ID), proof: fromHex(proof) })).toBe(
      false,
    );
    const other = openingFor('I10');
    expect(
      verifyMembership({
        ...args,
        commitment: fromHex(other.commitment),
        context: joinContext(STUDY_ID, RECORD_ID),
        proof: fromHex(proof),
      }),
    ).toBe(false);
  });

  it('refuses KEYWORD_NOT_MATCHED when no attested keyword is in the set', () => {
    const notMatched = expect.objectContaining({ code: 'KEYWORD_NOT_MATCHED' });
    expect(() => matchingOpening(study, [openingFor('E11')])).toThrow(notMatched);
    expect(() => matchingOpening(study, [])).toThrow(notMatched);
    expect(() => joinProof(study, STUDY_ID, openingFor('E11'))).toThrow(notMatched);
  });
});

describe("the patient's submission (docs/protocol.md §21.4)", () => {
  const { study, secretKey } = hypertensionStudy();
  const day = TODAY - 2;
  const reading = { systolic: 128, diastolic: 82, heartRate: 66 };
  const build = (
    days: { day: number; values: Record<string, number> }[],
    s: IndicatorStudyDefinition = study,
  ): IndicatorSubmitBody => buildSubmission({ studyId: STUDY_ID, study: s, pseudonym: PSEUDONYM, days, today: TODAY });

  it("check value: one day's ciphertexts decrypt to the scaled readings; both proofs verify for that context only", () => {
    const body = build([{ day, values: reading }]);
    expect(parseIndicatorSubmitBody(body, 'body')).toEqual(body);
    expect(body.days[0]?.readings.map((r) => twistedDecrypt(secretKey, fromHex(r)))).toEqual([128n, 82n, 66n]);
    expect(verifies(study, body)).toEqual({ validity: true, range: true });
    // the proofs name the day: the same body sent as another day's fails both checks
    expect(verifies(study, { ...body, days: [{ ...body.days[0]!, day: day - 1 }] })).toEqual({
      validity: false,
      range: false,
    });
  });

  it('scales a value in its unit (glucose 5.6 mmol/L at scale 10 travels as 56)', () => {
    const { study: glucose, secretKey: sk } = hypertensionStudy({
      indicators: [{ name: 'glucose', unit: 'mmol/L', scale: 10, lo: 30, hi: 300 }],
    });
    const body = build([{ day, values: { glucose: 5.6 } }], glucose);
    expect(twistedDecrypt(sk, fromHex(body.days[0]!.readings[0]!))).toBe(56n);
    expect(verifies(glucose, body)).toEqual({ validity: true, range: true });
  });

  it('refuses INDICATOR_OUT_OF_RANGE locally (systolic 250, or below its lo), the value kept out of the message', () => {
    for (const systolic of [250, 89, 180.6, 2 ** 33]) {
      const refusal = ((): unknown => {
        try {
          return build([{ day, values: { ...reading, systolic } }]);
        } catch (error) {
          return error;
        }
      })();
      expect(refusal).toMatchObject({ code: 'INDICATOR_OUT_OF_RANGE', message: expect.stringContaining('systolic') });
      expect((refusal as Error).message).not.toContain(String(systolic));
    }
    expect(() => build([{ day, values: { ...reading, systolic: 180.4 } }])).not.toThrow();
  });

  it('refuses a missing reading, two days for check value, a day outside the window or in the future', () => {
    expect(() => build([{ day, values: { systolic: 120, diastolic: 80 } }])).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT', message: expect.stringContaining('heartRate') }),
    );
    expect(() =>
      build([
        { day, values: reading },
        { day: day + 1, values: reading },
      ]),
    ).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
    for (const d of [TODAY + 1, study.window.startDay - 1]) {
      expect(() => build([{ day: d, values: reading }])).toThrow(
        expect.objectContaining({ code: 'INDICATOR_DAY_OUTSIDE_WINDOW' }),
      );
    }
    expect(() => build([{ day, values: { ...reading, systolic: -5 } }])).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT' }),
    );
  });

  describe('check mean', () => {
    const mean = { ...study, check: 'mean' as const, output: { granularity: 'window' as const, k: 5 } };

    it('range-proves the per-indicator sums of the days: a day above hi passes when the sum is in [d·lo, d·hi]', () => {
      const days = [
        { day: day - 2, values: { ...reading, systolic: 185 } },
        { day: day - 1, values: { ...reading, systolic: 150 } },
        { day, values: { ...reading, systolic: 140 } },
      ];
      const body = build(days, mean);
      expect(body.days.map((d) => d.day)).toEqual([day - 2, day - 1, day]);
      expect(verifies(mean, body)).toEqual({ validity: true, range: true });
    });

    it('refuses a sum outside [d·lo, d·hi], and days out of order', () => {
      const high = [
        { day: day - 1, values: { ...reading, systolic: 200 } },
        { day, values: { ...reading, systolic: 190 } },
      ];
      expect(() => build(high, mean)).toThrow(
        expect.objectContaining({ code: 'INDICATOR_OUT_OF_RANGE', message: expect.stringContaining('2-day sum') }),
      );
      expect(() =>
        build(
          [
            { day, values: reading },
            { day: day - 1, values: reading },
          ],
          mean,
        ),
      ).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
    });
  });
});
