// SPDX-License-Identifier: Apache-2.0
import { MedshareError } from '../errors/medshare-error';
import { parseBody, parseResult } from '../operations';
import { generateKeyPair } from '@medshare/crypto/sm2';
import { parseUploadBody } from './bodies';

const HEX = 'ab'.repeat(32);
const POINT = '02' + 'cd'.repeat(32);
const CT = POINT + '03' + 'ef'.repeat(32);
const ZERO = '00'.repeat(33);

function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (error) {
    if (error instanceof MedshareError) return `${error.code}: ${error.detail}`;
    throw error;
  }
  return 'accepted';
}

const submit = {
  studyId: HEX,
  days: [
    { day: 20_001, readings: [CT, CT] },
    { day: 20_002, readings: [CT, CT] },
  ],
  validity: 'aa'.repeat(130),
  range: 'bb'.repeat(292 + 66 * 3),
};

describe('indicator bodies (docs/protocol.md §6, §21)', () => {
  it('parses a join, a submission and a series page as sent', () => {
    const join = { studyId: HEX, recordId: HEX, proof: 'cc'.repeat(97 * 3 - 32) };
    expect(parseBody('indicator-join', join, 'body')).toEqual(join);
    expect(parseBody('indicator-submit', submit, 'body')).toEqual(submit);
    expect(parseBody('indicator-series', { studyId: HEX, pageSize: 20, bookmark: '' }, 'body')).toEqual({
      studyId: HEX,
      pageSize: 20,
      bookmark: '',
    });
  });

  it.each([
    ['a proof of odd hex', 'indicator-join', { studyId: HEX, recordId: HEX, proof: 'abc' }],
    ['a proof too short', 'indicator-join', { studyId: HEX, recordId: HEX, proof: 'cc'.repeat(64) }],
    ['a proof too long', 'indicator-join', { studyId: HEX, recordId: HEX, proof: 'cc'.repeat(97 * 64 - 31) }],
    ['upper-case hex', 'indicator-join', { studyId: HEX, recordId: HEX, proof: 'CC'.repeat(97) }],
    ['days out of order', 'indicator-submit', { ...submit, days: [submit.days[1], submit.days[0]] }],
    ['a repeated day', 'indicator-submit', { ...submit, days: [submit.days[0], submit.days[0]] }],
    ['no days', 'indicator-submit', { ...submit, days: [] }],
    [
      'an uncompressed ciphertext',
      'indicator-submit',
      { ...submit, days: [{ day: 1, readings: ['04' + CT.slice(2)] }] },
    ],
    ['an identity half', 'indicator-submit', { ...submit, days: [{ day: 1, readings: [ZERO + POINT] }] }],
    ['nine readings a day', 'indicator-submit', { ...submit, days: [{ day: 1, readings: Array(9).fill(CT) }] }],
    [
      '65 readings in all',
      'indicator-submit',
      { ...submit, days: Array.from({ length: 9 }, (_, i) => ({ day: i, readings: Array(8).fill(CT) })) },
    ],
    ['a short validity proof', 'indicator-submit', { ...submit, validity: 'aa'.repeat(129) }],
    ['a range proof of 11 rounds', 'indicator-submit', { ...submit, range: 'bb'.repeat(292 + 66 * 11) }],
    ['a page of 21', 'indicator-series', { studyId: HEX, pageSize: 21, bookmark: '' }],
  ] as const)('refuses %s with INVALID_INPUT', (_what, op, body) => {
    expect(codeOf(() => parseBody(op, body, 'body'))).toMatch(/^INVALID_INPUT: body/);
  });
});

describe("the upload's keyword attestation (§21.2)", () => {
  const upload = {
    patientId: HEX,
    ciphertext: 'AAAA',
    contentHash: HEX,
    // A wrap whose C1 is a curve point (the parser checks it).
    ownerKeyWrap: generateKeyPair().publicKey + 'ab'.repeat(64),
    metadata: { kind: 'diagnosis', createdAt: 1 },
  };
  const attestation = { commitment: POINT, doctorKeyId: HEX, signature: 'ef'.repeat(64) };

  it('is optional and parsed as sent', () => {
    expect(parseUploadBody(upload, 'body')).not.toHaveProperty('keywordAttestation');
    expect(parseUploadBody({ ...upload, keywordAttestation: attestation }, 'body').keywordAttestation).toEqual(
      attestation,
    );
  });

  it.each([
    ['an uncompressed commitment', { ...attestation, commitment: '04' + 'ab'.repeat(32) }],
    ['a short signature', { ...attestation, signature: 'ef'.repeat(63) }],
    ['an unknown member', { ...attestation, keyword: 'I10' }],
  ])('refuses %s', (_what, value) => {
    expect(codeOf(() => parseUploadBody({ ...upload, keywordAttestation: value }, 'body'))).toMatch(
      /^INVALID_INPUT: body\.keywordAttestation/,
    );
  });
});

describe('indicator results', () => {
  it('parse aggregates with a suppressed sum and a series page', () => {
    const aggregates = {
      studyId: HEX,
      k: 5,
      participants: 4,
      indicators: [
        { name: 'systolic', participants: 4, readings: 9, sum: null },
        { name: 'glucose', participants: 5, readings: 9, sum: ZERO + POINT },
      ],
      asOf: 7,
    };
    expect(parseResult('indicator-aggregates', aggregates)).toEqual(aggregates);
    const series = {
      studyId: HEX,
      participants: [{ pseudonym: 'ab'.repeat(16), periods: [{ period: 0, days: 2, sums: [CT, CT] }] }],
      bookmark: '',
    };
    expect(parseResult('indicator-series', series)).toEqual(series);
  });

  it('refuse a malformed contract answer as INTERNAL', () => {
    expect(codeOf(() => parseResult('indicator-join', { studyId: HEX, pseudonym: 'short', joinedAt: 1 }))).toMatch(
      /^INTERNAL: the contract's indicator-join result is malformed/,
    );
  });
});
