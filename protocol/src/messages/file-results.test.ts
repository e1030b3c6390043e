// SPDX-License-Identifier: Apache-2.0
import { parseFileGetResult, parseStoredFileDescriptor } from './file-results';

// The ledger's row and the owner's file-get result are one shape; a receiver's lacks the key wrap.
const stored = {
  fileId: '1'.repeat(64),
  owner: '2'.repeat(64),
  org: 'Org1MSP',
  uploadedAt: 1,
  uploadId: '3'.repeat(64),
  root: '4'.repeat(64),
  size: 10,
  chunkBytes: 65536,
  mediaType: 'application/dicom',
  capsule: '02'.repeat(98),
  delegatingKey: `02${'5'.repeat(64)}`,
  ownerKeyWrap: `04${'6'.repeat(256)}`,
  keyCheck: '7'.repeat(32),
};

describe('file descriptors', () => {
  it('the stored row is the owner file-get result', () => {
    expect(parseStoredFileDescriptor(stored, 'file')).toEqual(stored);
    expect(parseFileGetResult(stored, 'result')).toEqual(stored);
  });

  it('a stored row needs its ownerKeyWrap and has no share fields; a receiver copy has them the other way', () => {
    const { ownerKeyWrap: _wrap, ...receiverCopy } = stored;
    const received = { ...receiverCopy, threshold: 2, shareId: '8'.repeat(64) };
    expect(parseFileGetResult(received, 'result')).toEqual(received);
    expect(() => parseStoredFileDescriptor(receiverCopy, 'file')).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT', message: expect.stringMatching(/file\.ownerKeyWrap/) }),
    );
    expect(() => parseStoredFileDescriptor(received, 'file')).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT' }),
    );
  });
});
