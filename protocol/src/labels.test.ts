// SPDX-License-Identifier: Apache-2.0
import {
  EVENT_LABEL,
  FILE_ID_LABEL,
  FILE_LABEL,
  FILE_REENCRYPT_LABEL,
  PSEUDONYM_LABEL,
  RECORD_LABEL,
  SEALED_BOX_LABELS,
  TPRE_DST_PREFIX,
  sessionLabel,
  signatureLabel,
} from './labels';

describe('labels', () => {
  it('every label is medshare/v1/… and no two are the same', () => {
    const labels = [
      EVENT_LABEL,
      FILE_ID_LABEL,
      FILE_LABEL,
      FILE_REENCRYPT_LABEL,
      PSEUDONYM_LABEL,
      RECORD_LABEL,
      ...Object.values(SEALED_BOX_LABELS),
      TPRE_DST_PREFIX,
      sessionLabel('request'),
      sessionLabel('response'),
      ...(['sig1', 'sig2', 'sig3', 'sig4', 'sig5', 'session-request', 'session', 'directory'] as const).map(
        signatureLabel,
      ),
    ];
    for (const label of labels) expect(label).toMatch(/^medshare\/v1\//);
    expect(new Set(labels).size).toBe(labels.length);
  });
});
