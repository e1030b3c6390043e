// SPDX-License-Identifier: Apache-2.0
import { parseStudyAudit } from '../access-lists/model';
import { parseIndicatorCount, parseIndicatorDay, parseIndicatorParticipant, parseIndicatorTotal } from './model';

const HEX = 'ab'.repeat(32);
const PSEUDONYM = 'cd'.repeat(16);
const CIPHERTEXT = '02' + '11'.repeat(32) + '03' + '22'.repeat(32);
const EMPTY = '00'.repeat(66);

describe('the indicators state parsers refuse malformed rows', () => {
  it('participants: a pseudonym of 32 hex, a record id, times; unknown members refused', () => {
    const row = { pseudonym: PSEUDONYM, recordId: HEX, joinedAt: 5 };
    expect(parseIndicatorParticipant(row)).toEqual(row);
    expect(parseIndicatorParticipant({ ...row, leftAt: 9 })).toEqual({ ...row, leftAt: 9 });
    for (const bad of [
      { ...row, pseudonym: HEX },
      { ...row, recordId: 'xyz' },
      { ...row, leftAt: 'soon' },
      { ...row, keyId: HEX },
    ]) {
      expect(() => parseIndicatorParticipant(bad)).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
    }
  });

  it('running totals: 1…8 aggregates, a day count; no plaintext-shaped member passes', () => {
    const row = { pseudonym: PSEUDONYM, sums: [EMPTY, CIPHERTEXT], days: 2 };
    expect(parseIndicatorTotal(row)).toEqual(row);
    for (const bad of [
      { ...row, sums: [] },
      { ...row, sums: Array(9).fill(EMPTY) },
      { ...row, sums: ['120'] },
      { ...row, days: -1 },
      { ...row, readings: 2 },
    ]) {
      expect(() => parseIndicatorTotal(bad)).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
    }
  });

  it('days: ciphertexts (never an identity half) and a day number; counts in range', () => {
    const row = { day: 20_000, readings: [CIPHERTEXT], submittedAt: 1 };
    expect(parseIndicatorDay(row)).toEqual(row);
    for (const bad of [
      { ...row, readings: [EMPTY] },
      { ...row, day: 1.5 },
      { ...row, readings: [] },
    ]) {
      expect(() => parseIndicatorDay(bad)).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
    }
    expect(() => parseIndicatorCount({ participants: -1 })).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
  });

  it('study audit entries name exactly one actor: a key id, a key image or a pseudonym', () => {
    const entry = {
      studyId: HEX,
      action: 'indicator-submit',
      pseudonym: PSEUDONYM,
      days: [20_000, 20_001],
      at: 1,
      txId: HEX,
      appId: 'hospital-1.app',
      org: 'Org1MSP',
      requestHash: HEX,
    };
    expect(parseStudyAudit(entry)).toEqual(entry);
    for (const bad of [
      { ...entry, actorKeyId: HEX },
      (({ pseudonym: _drop, ...rest }) => rest)(entry),
      { ...entry, pseudonym: HEX },
      { ...entry, days: [] },
      { ...entry, action: 'indicator-peek' },
    ]) {
      expect(() => parseStudyAudit(bad)).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
    }
  });
});
