// SPDX-License-Identifier: Apache-2.0
import { generateKeyPair } from '@medshare/crypto/sm2';
import { decodePoint } from '@medshare/crypto/tpre';
import { FILE_REENCRYPT_LABEL } from '../labels';
import { compressedPublicKey, fileReEncryptContext } from './files';
import { isSubmitted } from '../operations';
import { newRequest, parseRequest } from './request';

describe('file operations', () => {
  it('are request operations; upload, share, revoke and view are submitted', () => {
    const ops = [
      'file-upload',
      'file-share',
      'file-revoke',
      'file-fragments',
      'file-view',
      'file-get',
      'file-list',
      'file-list-shared',
    ] as const;
    expect(ops.filter((op) => isSubmitted(op))).toEqual(['file-upload', 'file-share', 'file-revoke', 'file-view']);
    const request = newRequest({
      op: 'file-fragments',
      body: { fileId: 'a'.repeat(64) },
      appId: 'app',
      keyId: 'b'.repeat(64),
      now: 1,
    });
    expect(parseRequest(JSON.parse(JSON.stringify(request)))).toEqual(request);
    expect(() => parseRequest({ ...request, body: { fileId: 'a'.repeat(64), extra: 1 } })).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT' }),
    );
  });

  it('share fragments name distinct proxies and distinct fragment ids', () => {
    const fragment = (p: string, f: string): object => ({
      proxyId: p.repeat(64),
      fragmentId: f.repeat(64),
      sealedFragment: `04${'0'.repeat((64 + 32 + 194) * 2)}`,
    });
    const share = (fragments: object[]): unknown =>
      parseRequest({
        ...newRequest({
          op: 'file-list',
          body: { pageSize: 1, bookmark: '' },
          appId: 'app',
          keyId: 'b'.repeat(64),
          now: 1,
        }),
        op: 'file-share',
        body: { fileId: 'a'.repeat(64), receiverKeyId: 'c'.repeat(64), threshold: 1, fragments },
      });
    expect(() => share([fragment('1', '2'), fragment('3', '4')])).not.toThrow();
    expect(() => share([fragment('1', '2'), fragment('3', '2')])).toThrow(
      expect.objectContaining({ message: expect.stringMatching(/distinct fragment ids/) }),
    );
    expect(() => share([fragment('1', '2'), fragment('1', '4')])).toThrow(
      expect.objectContaining({ message: expect.stringMatching(/distinct proxies/) }),
    );
  });

  it('the context and the receiver point (docs/protocol.md §17)', () => {
    expect(Buffer.from(fileReEncryptContext('f', 'r', 't')).toString()).toBe('medshare/v1/file-reencrypt\nf\nr\nt');
    expect(FILE_REENCRYPT_LABEL).toBe('medshare/v1/file-reencrypt\n');
    const { publicKey } = generateKeyPair();
    const point = decodePoint(compressedPublicKey(publicKey), 'B');
    expect(Buffer.from(point.toBytes(false)).toString('hex')).toBe(publicKey);
  });
});
