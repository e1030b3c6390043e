// SPDX-License-Identifier: Apache-2.0
import { MedshareError } from '../errors/medshare-error';
import { joinContext, participantPseudonym, submitContext } from './context';
import {
  completeIndicatorStudy,
  dayOf,
  lastDay,
  parseIndicatorStudyDefinition,
  parseIndicatorStudyInput,
  periodOf,
  rangeBits,
  submissionRanges,
} from './study';

const KEY = '02' + 'ab'.repeat(32);
const study = {
  title: 'Blood pressure in hypertension',
  keywords: ['I10', 'I11', 'I15'],
  indicators: [
    { name: 'systolic', unit: 'mmHg', scale: 1, lo: 90, hi: 180 },
    { name: 'glucose', unit: 'mmol/L', scale: 10, lo: 39, hi: 111 },
  ],
  window: { startDay: 20_000, days: 28 },
  check: 'value',
  output: { granularity: 'week' },
  publicKey: KEY,
};

function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (error) {
    if (error instanceof MedshareError) return `${error.code}: ${error.detail}`;
    throw error;
  }
  return 'accepted';
}

describe('an indicator study definition (docs/protocol.md §21.1)', () => {
  it('parses exactly as sent and completes k and maxParticipants only when asked', () => {
    const input = parseIndicatorStudyInput(study);
    expect(input).toEqual(study);
    expect(completeIndicatorStudy(input)).toEqual({
      ...study,
      output: { granularity: 'week', k: 5 },
      maxParticipants: 1000,
    });
    expect(
      parseIndicatorStudyDefinition({ ...study, output: { granularity: 'day', k: 7 }, maxParticipants: 9 }),
    ).toEqual({ ...study, output: { granularity: 'day', k: 7 }, maxParticipants: 9 });
  });

  it.each([
    ['an unknown member', { ...study, extra: 1 }, 'INVALID_INPUT'],
    ['no keywords', { ...study, keywords: [] }, 'INVALID_INPUT'],
    ['a lower-case keyword', { ...study, keywords: ['i10'] }, 'INVALID_INPUT'],
    ['a repeated keyword', { ...study, keywords: ['I10', 'I10'] }, 'INVALID_INPUT'],
    ['65 keywords', { ...study, keywords: Array.from({ length: 65 }, (_, i) => `K${i}`) }, 'INVALID_INPUT'],
    [
      'nine indicators',
      { ...study, indicators: Array.from({ length: 9 }, (_, i) => ({ ...study.indicators[0], name: `v${i}` })) },
      'INVALID_INPUT',
    ],
    [
      'a repeated indicator name',
      { ...study, indicators: [study.indicators[0], study.indicators[0]] },
      'INVALID_INPUT',
    ],
    [
      'an inverted range',
      { ...study, indicators: [{ ...study.indicators[0], lo: 181, hi: 180 }] },
      'INDICATOR_RANGE_INVALID',
    ],
    ['a negative lo', { ...study, indicators: [{ ...study.indicators[0], lo: -1 }] }, 'INDICATOR_RANGE_INVALID'],
    [
      'hi beyond 2^32 - 1',
      { ...study, indicators: [{ ...study.indicators[0], hi: 2 ** 32 }] },
      'INDICATOR_RANGE_INVALID',
    ],
    [
      'a fractional bound',
      { ...study, indicators: [{ ...study.indicators[0], hi: 180.5 }] },
      'INDICATOR_RANGE_INVALID',
    ],
    [
      'sums beyond the decryption bound',
      {
        ...study,
        maxParticipants: 2_000,
        window: { startDay: 0, days: 366 },
        indicators: [{ ...study.indicators[0], hi: 100_000 }],
      },
      'INDICATOR_RANGE_INVALID',
    ],
    ['a scale of 3', { ...study, indicators: [{ ...study.indicators[0], scale: 3 }] }, 'INVALID_INPUT'],
    ['a window of 0 days', { ...study, window: { startDay: 1, days: 0 } }, 'INVALID_INPUT'],
    ['a window of 367 days', { ...study, window: { startDay: 1, days: 367 } }, 'INVALID_INPUT'],
    ['an unknown check', { ...study, check: 'median' }, 'INVALID_INPUT'],
    ['a mean released per week', { ...study, check: 'mean' }, 'INVALID_INPUT'],
    ['k of 1', { ...study, output: { granularity: 'week', k: 1 } }, 'INVALID_INPUT'],
    ['maxParticipants 0', { ...study, maxParticipants: 0 }, 'INVALID_INPUT'],
    ['maxParticipants 2,001', { ...study, maxParticipants: 2001 }, 'INVALID_INPUT'],
    [
      'k above maxParticipants',
      { ...study, maxParticipants: 3, output: { granularity: 'week', k: 4 } },
      'INVALID_INPUT',
    ],
    ['the default k above maxParticipants', { ...study, maxParticipants: 4 }, 'INVALID_INPUT'],
    ['an uncompressed key', { ...study, publicKey: '04' + 'ab'.repeat(32) }, 'INVALID_INPUT'],
    ['an empty title', { ...study, title: '' }, 'INVALID_INPUT'],
  ])('refuses %s', (_what, value, code) => {
    expect(codeOf(() => parseIndicatorStudyInput(value))).toMatch(new RegExp(`^${code}: study`));
  });

  it('accepts a mean released once for the window', () => {
    expect(codeOf(() => parseIndicatorStudyInput({ ...study, check: 'mean', output: { granularity: 'window' } }))).toBe(
      'accepted',
    );
  });
});

describe('days, periods, ranges and contexts', () => {
  it('counts UTC days and the window', () => {
    expect(dayOf(0)).toBe(0);
    expect(dayOf(86_400_000 - 1)).toBe(0);
    expect(dayOf(86_400_000)).toBe(1);
    expect(lastDay(study.window)).toBe(20_027);
  });

  it('releases a day as its offset, its week or the window', () => {
    const def = completeIndicatorStudy(parseIndicatorStudyInput(study));
    expect(periodOf({ ...def, output: { granularity: 'day', k: 5 } }, 20_009)).toBe(9);
    expect(periodOf(def, 20_006)).toBe(0);
    expect(periodOf(def, 20_007)).toBe(1);
    expect(periodOf({ ...def, output: { granularity: 'window', k: 5 } }, 20_027)).toBe(0);
  });

  it('takes the smallest bit length over every range, and scales a mean by its days', () => {
    expect(rangeBits([{ lo: 90, hi: 180 }])).toBe(8);
    expect(rangeBits([{ lo: 0, hi: 255 }])).toBe(8);
    expect(rangeBits([{ lo: 0, hi: 256 }])).toBe(16);
    expect(rangeBits([{ lo: 0, hi: 2 ** 32 }])).toBe(64);
    expect(submissionRanges({ ...study, check: 'value' } as never, 3)).toEqual([
      { lo: 90n, hi: 180n },
      { lo: 39n, hi: 111n },
    ]);
    expect(submissionRanges({ ...study, check: 'mean' } as never, 3)).toEqual([
      { lo: 270n, hi: 540n },
      { lo: 117n, hi: 333n },
    ]);
  });

  it('binds contexts to the study, the record or pseudonym, and the days', () => {
    const s = 'aa'.repeat(32);
    expect(new TextDecoder().decode(joinContext(s, 'bb'.repeat(32)))).toBe(
      `medshare/v1/indicator-join\n${s}\n${'bb'.repeat(32)}`,
    );
    expect(new TextDecoder().decode(submitContext(s, 'cc'.repeat(16), [20_001, 20_002]))).toBe(
      `medshare/v1/indicator-submit\n${s}\n${'cc'.repeat(16)}\n20001,20002`,
    );
    const p = participantPseudonym(s, 'tx1');
    expect(p).toMatch(/^[0-9a-f]{32}$/);
    expect(participantPseudonym(s, 'tx2')).not.toBe(p);
    expect(participantPseudonym('dd'.repeat(32), 'tx1')).not.toBe(p);
  });
});
