// SPDX-License-Identifier: Apache-2.0
/** A hypertension study for the indicator tests (the demo's shape), with a fresh study key. */
import { toHex } from '@medshare/crypto/bytes';
import { twistedKeyGen } from '@medshare/crypto/zk';
import { completeIndicatorStudy, type IndicatorStudyDefinition, type IndicatorStudyInput } from '@medshare/protocol';

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
