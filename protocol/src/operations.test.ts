// SPDX-License-Identifier: Apache-2.0
import { OPERATIONS, OPERATION_TABLE, isOperation, isSubmitted, parseResult, qualifiedName } from './operations';

const HEX = 'ab'.repeat(32);

describe('the operations table', () => {
  it('lists the operations of docs/protocol.md §6 in order, submitted and evaluated as §6 says', () => {
    expect(OPERATIONS).toEqual([
      'register',
      'upload',
      'grant',
      'revoke',
      'view',
      'read',
      'list-records',
      'list-grants',
      'audit',
      'file-upload',
      'file-share',
      'file-revoke',
      'file-fragments',
      'file-view',
      'file-get',
      'file-list',
      'file-list-shared',
      'profile-update',
      'profile-get',
      'patient-records',
      'list-patients',
      'warrant',
      'unwarrant',
      'record-authorizations',
      'study-publish',
      'study-get',
      'study-list',
      'access-list-read',
      'contribute',
      'contribution-withdraw',
      'contribution-replace',
      'indicator-study-publish',
      'indicator-study-get',
      'indicator-study-list',
      'indicator-join',
      'indicator-submit',
      'indicator-leave',
      'indicator-aggregates',
      'indicator-series',
    ]);
    expect(OPERATIONS.filter(isSubmitted)).toEqual([
      'register',
      'upload',
      'grant',
      'revoke',
      'view',
      'file-upload',
      'file-share',
      'file-revoke',
      'file-view',
      'profile-update',
      'warrant',
      'unwarrant',
      'study-publish',
      'access-list-read',
      'contribute',
      'contribution-withdraw',
      'contribution-replace',
      'indicator-study-publish',
      'indicator-join',
      'indicator-submit',
      'indicator-leave',
      'indicator-aggregates',
      'indicator-series',
    ]);
    expect(qualifiedName(OPERATION_TABLE.upload)).toBe('records:Upload');
    expect(isOperation('subscribe')).toBe(false);
    expect(isOperation('toString')).toBe(false);
  });

  it('result parsers return a typed copy of a valid result', () => {
    expect(parseResult('upload', { recordId: HEX, contentHash: HEX, uploadedAt: 5, replayed: true })).toEqual({
      recordId: HEX,
      contentHash: HEX,
      uploadedAt: 5,
      replayed: true,
    });
    const page = { items: [{ recordId: HEX, kind: 'lab-result', createdAt: 1, uploadedAt: 2 }], bookmark: '' };
    expect(parseResult('list-records', page)).toEqual(page);
  });

  it.each([
    ['an unknown member', 'grant', { recordId: HEX, granteeKeyId: HEX, grantedAt: 1, extra: 1 }],
    ['a missing member', 'revoke', { recordId: HEX, granteeKeyId: HEX }],
    ['replayed other than true', 'upload', { recordId: HEX, contentHash: HEX, uploadedAt: 5, replayed: false }],
    ['a status outside the list', 'register', { keyId: HEX, role: 'patient', status: 'gone', org: 'Org1MSP' }],
    ['items that are not an array', 'list-grants', { items: {}, bookmark: '' }],
    [
      'an unknown member in an item',
      'list-grants',
      { items: [{ recordId: HEX, grantedAt: 1, keyWrap: '04' }], bookmark: '' },
    ],
  ] as const)('refuse %s as INTERNAL (the contract answered something this code cannot use)', (_, op, value) => {
    expect(() => parseResult(op, value)).toThrow(
      expect.objectContaining({ name: 'MedshareError', code: 'INTERNAL' }) as Error,
    );
  });
});
