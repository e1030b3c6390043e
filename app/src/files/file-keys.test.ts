// SPDX-License-Identifier: Apache-2.0
import { fromHex, toHex } from '@medshare/crypto/bytes';
import { decrypt, generateKeyPair, type Sm2KeyPair } from '@medshare/crypto/sm2';
import { decodeCapsule, decodeKeyFragment, encodeCapsuleFragment, reEncrypt } from '@medshare/crypto/tpre';
import { fileReEncryptContext, keyIdOf, type FileDescriptor, type FileFragmentsResult } from '@medshare/protocol';
import {
  assertKeyCheck,
  keyCheckHex,
  newFileKey,
  openDelegating,
  receiverFileKeys,
  shareFragments,
  type NewFileKey,
} from './file-keys';

const hex32 = (byte: number): string => byte.toString(16).padStart(2, '0').repeat(32);

/** A file, a 2-of-3 share of its key to `receiver`, and each proxy's capsule fragment under the share's context. */
function shared(receiver: Sm2KeyPair): { key: NewFileKey; share: FileFragmentsResult; served: string[] } {
  const owner = generateKeyPair();
  const proxies = [0, 1, 2].map(() => generateKeyPair());
  const key = newFileKey(owner.publicKey);
  const delegating = openDelegating(
    { ownerKeyWrap: key.ownerKeyWrap, delegatingKey: key.delegatingKey } as FileDescriptor,
    owner.privateKey,
  );
  const entries = proxies.map((p) => ({ proxyId: keyIdOf(p.publicKey), publicKey: p.publicKey }));
  const grants = shareFragments(delegating, receiver.publicKey, 2, entries);
  const fileId = hex32(1);
  const receiverKeyId = keyIdOf(receiver.publicKey);
  const shareId = hex32(2);
  const context = fileReEncryptContext(fileId, receiverKeyId, shareId);
  const served = grants.map((g, i) => {
    const fragment = decodeKeyFragment(decrypt((proxies[i] as Sm2KeyPair).privateKey, fromHex(g.sealedFragment)));
    return toHex(encodeCapsuleFragment(reEncrypt(fragment, decodeCapsule(fromHex(key.capsule)), context)));
  });
  const share: FileFragmentsResult = {
    fileId,
    receiverKeyId,
    receiverPublicKey: receiver.publicKey,
    capsule: key.capsule,
    delegatingKey: key.delegatingKey,
    threshold: 2,
    shareId,
    context: toHex(context),
    proxies: grants.map((g, i) => ({ ...g, publicKey: (proxies[i] as Sm2KeyPair).publicKey, org: 'Org1MSP' })),
  };
  return { key, share, served };
}

describe('receiverFileKeys (the receiver opens the file key from t of the proxies’ fragments)', () => {
  const receiver = generateKeyPair();
  const { key, share, served } = shared(receiver);
  const [c0, c1, c2] = served as [string, string, string];
  // Well-formed fragments that do not verify for this share: another share's (another receiver
  // of another file key) and bytes that do not decode as a fragment.
  const foreign = shared(receiver).served[0] as string;
  const undecodable = 'ff'.repeat(c0.length / 2);
  const opens = (fragments: string[]): ReturnType<typeof receiverFileKeys> =>
    receiverFileKeys(share, fragments, receiver.privateKey);
  const expectFileKey = (got: ReturnType<typeof receiverFileKeys>): void => {
    expect(toHex(got.keys.encryption)).toBe(toHex(key.encryption));
    expect(toHex(got.keys.check)).toBe(toHex(key.check));
  };

  it('opens the file key with any two of the three fragments (2-of-3)', () => {
    for (const pair of [
      [c0, c1],
      [c0, c2],
      [c2, c1],
    ]) {
      const got = opens(pair);
      expectFileKey(got);
      expect(got.verified).toEqual(pair);
    }
  });

  it('skips a fragment that does not verify or does not decode, and tries the next', () => {
    const got = opens([foreign, c1, undecodable, c2, c0]);
    expectFileKey(got);
    expect(got.verified).toEqual([c1, c2]);
  });

  it('counts the same fragment given twice once, and uses the next distinct one', () => {
    const got = opens([c0, c0, c2]);
    expectFileKey(got);
    expect(got.verified).toEqual([c0, c2]);
  });

  it('refuses below the threshold with FRAGMENTS_INVALID, naming how many verified', () => {
    for (const fragments of [[], [c1], [c1, c1], [c1, foreign, undecodable]]) {
      expect(() => opens(fragments)).toThrow(
        expect.objectContaining({
          name: 'MedshareError',
          code: 'FRAGMENTS_INVALID',
          message: expect.stringMatching(/verify; the share needs 2/),
        }),
      );
    }
  });

  it("opens another key with another receiver's secret, which the file's key check refuses (INTEGRITY_FAILED)", () => {
    const root = hex32(7);
    const wrong = receiverFileKeys(share, served, generateKeyPair().privateKey);
    expect(() => assertKeyCheck(wrong.keys, { root, keyCheck: keyCheckHex(key, root) })).toThrow(
      expect.objectContaining({ code: 'INTEGRITY_FAILED' }),
    );
    expect(() => assertKeyCheck(opens([c0, c1]).keys, { root, keyCheck: keyCheckHex(key, root) })).not.toThrow();
  });
});
