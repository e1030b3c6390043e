// SPDX-License-Identifier: Apache-2.0
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromHex, toHex } from '@medshare/crypto/bytes';
import { encrypt, generateKeyPair as sm2KeyPair, privateKeyToPem } from '@medshare/crypto/sm2';
import {
  decodeCapsule,
  decodeCapsuleFragment,
  decodePoint,
  encapsulate,
  encodeCapsule,
  encodeKeyFragment,
  encodePoint,
  generateKeyFragments,
  generateKeyPair,
  verifyCapsuleFragment,
} from '@medshare/crypto/tpre';
import { compressedPublicKey, fileReEncryptContext, keyIdOf } from '@medshare/protocol';
import { ProxyKey, parseProxyShare, reEncryptFor, type ProxyShare } from './proxy';

const hex32 = (byte: number): string => byte.toString(16).padStart(2, '0').repeat(32);

function setting(): { proxy: ProxyKey; share: ProxyShare; receiver: string; other: ProxyKey } {
  const proxy = ProxyKey.fromPem(privateKeyToPem(sm2KeyPair().privateKey));
  const other = ProxyKey.fromPem(privateKeyToPem(sm2KeyPair().privateKey));
  const receiver = sm2KeyPair().publicKey;
  const delegating = generateKeyPair();
  const { capsule } = encapsulate(delegating.publicKey);
  const [fragment] = generateKeyFragments(delegating, decodePoint(compressedPublicKey(receiver), 'receiver'), 1, 1);
  if (!fragment) throw new Error('no fragment');
  const share: ProxyShare = {
    fileId: hex32(1),
    receiverKeyId: keyIdOf(receiver),
    receiverPublicKey: receiver,
    capsule: toHex(encodeCapsule(capsule)),
    delegatingKey: toHex(encodePoint(delegating.publicKey)),
    shareId: hex32(2),
    proxyId: proxy.proxyId,
    fragmentId: toHex(fragment.id),
    sealedFragment: toHex(encrypt(proxy.publicKey, encodeKeyFragment(fragment))),
  };
  return { proxy, share, receiver, other };
}

describe('proxy: re-encryption of a share by its proxy', () => {
  it('re-encrypts under the share context, with a fragment the receiver and the chaincode verify', () => {
    const { proxy, share, receiver } = setting();
    const answer = reEncryptFor(share, proxy);
    expect(answer.proxyId).toBe(proxy.proxyId);
    const cfrag = decodeCapsuleFragment(fromHex(answer.capsuleFragment));
    const context = fileReEncryptContext(share.fileId, share.receiverKeyId, share.shareId);
    const args = [
      decodeCapsule(fromHex(share.capsule)),
      decodePoint(fromHex(share.delegatingKey), 'A'),
      decodePoint(compressedPublicKey(receiver), 'B'),
    ] as const;
    expect(verifyCapsuleFragment(cfrag, ...args, context)).toBe(true);
    // another share's context (e.g. a later share to the same receiver) does not verify it
    expect(
      verifyCapsuleFragment(cfrag, ...args, fileReEncryptContext(share.fileId, share.receiverKeyId, hex32(3))),
    ).toBe(false);
  });

  it('loads its key from a PEM file like a K3, and never shows the private key', () => {
    const pair = sm2KeyPair();
    const dir = mkdtempSync(join(tmpdir(), 'medshare-proxy-'));
    writeFileSync(join(dir, 'proxy.pem'), privateKeyToPem(pair.privateKey));
    const key = ProxyKey.fromFile(join(dir, 'proxy.pem'));
    expect(key.proxyId).toBe(keyIdOf(pair.publicKey));
    expect(JSON.stringify(key)).not.toContain(pair.privateKey);
    expect(() => ProxyKey.fromFile(join(dir, 'missing.pem'))).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT' }),
    );
    expect(() => ProxyKey.fromPem('not a key')).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
  });

  it('refuses a share of another proxy, a fragment sealed to another, of another receiver, with another id', () => {
    const { proxy, share, other } = setting();
    expect(() => reEncryptFor(share, other)).toThrow(
      expect.objectContaining({ name: 'MedshareError', code: 'PROXY_NOT_FOUND' }),
    );
    expect(() => reEncryptFor({ ...share, proxyId: other.proxyId }, other)).toThrow(
      expect.objectContaining({ code: 'FRAGMENTS_INVALID', message: expect.stringMatching(/does not open/) }),
    );
    const stranger = sm2KeyPair().publicKey;
    expect(() =>
      reEncryptFor({ ...share, receiverPublicKey: stranger, receiverKeyId: keyIdOf(stranger) }, proxy),
    ).toThrow(
      expect.objectContaining({ code: 'FRAGMENTS_INVALID', message: expect.stringMatching(/does not verify/) }),
    );
    expect(() => reEncryptFor({ ...share, fragmentId: hex32(9) }, proxy)).toThrow(
      expect.objectContaining({ code: 'FRAGMENTS_INVALID', message: expect.stringMatching(/id/) }),
    );
    const delegating = toHex(encodePoint(generateKeyPair().publicKey));
    expect(() => reEncryptFor({ ...share, delegatingKey: delegating }, proxy)).toThrow(
      expect.objectContaining({ code: 'FRAGMENTS_INVALID' }),
    );
    // sealed bytes that are no key fragment
    expect(() =>
      reEncryptFor(
        { ...share, sealedFragment: toHex(encrypt(proxy.publicKey, new Uint8Array(194).fill(0xff))) },
        proxy,
      ),
    ).toThrow(
      expect.objectContaining({ code: 'FRAGMENTS_INVALID', message: expect.stringMatching(/does not decode/) }),
    );
  });

  it('refuses a bad capsule or delegating key as input, and a share answer whose context is not its own', () => {
    const { proxy, share } = setting();
    expect(() =>
      reEncryptFor(
        { ...share, capsule: share.capsule.slice(0, -2) + (share.capsule.endsWith('00') ? '01' : '00') },
        proxy,
      ),
    ).toThrow(expect.objectContaining({ code: 'INVALID_INPUT', message: expect.stringMatching(/capsule/) }));
    expect(() => reEncryptFor({ ...share, delegatingKey: `02${'ff'.repeat(32)}` }, proxy)).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT' }),
    );
    const context = toHex(fileReEncryptContext(share.fileId, share.receiverKeyId, share.shareId));
    expect(parseProxyShare({ ...share, context, threshold: 2 })).toEqual(share);
    expect(() =>
      parseProxyShare({ ...share, context: toHex(fileReEncryptContext(share.fileId, share.receiverKeyId, hex32(4))) }),
    ).toThrow(expect.objectContaining({ code: 'INVALID_INPUT', message: expect.stringMatching(/context/) }));
    expect(() => parseProxyShare({ ...share, extra: 1 })).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
  });
});
