// SPDX-License-Identifier: Apache-2.0
import * as LABELS from './labels';

describe('labels', () => {
  it('every label is medshare/v1/… and no two are the same', () => {
    const constants = Object.values(LABELS).filter((value): value is string => typeof value === 'string');
    expect(constants).toEqual(expect.arrayContaining([LABELS.FILE_LABEL, LABELS.TPRE_DST_PREFIX, LABELS.RECORD_LABEL]));
    const labels = [
      ...constants,
      ...Object.values(LABELS.SEALED_BOX_LABELS),
      LABELS.sessionLabel('request'),
      LABELS.sessionLabel('response'),
      ...(
        [
          'sig1',
          'sig2',
          'sig3',
          'sig4',
          'sig5',
          'session-request',
          'session',
          'directory',
          'proxy-request',
          'login',
          'login-assertion',
        ] as const
      ).map(LABELS.signatureLabel),
    ];
    for (const label of labels) expect(label).toMatch(/^medshare\/v1\//);
    expect(new Set(labels).size).toBe(labels.length);
  });
});
