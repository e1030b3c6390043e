// SPDX-License-Identifier: Apache-2.0
import { compressedPublicKey, type FileShareBody, type FileUploadBody } from '@medshare/protocol';
import { fromHex, toHex } from '@medshare/crypto/bytes';
import { encrypt, generateKeyPair as sm2KeyPair, privateKeyToPem } from '@medshare/crypto/sm2';
import {
  decodePoint,
  encapsulate,
  encodeCapsule,
  encodeKeyFragment,
  encodePoint,
  generateKeyFragments,
  generateKeyPair,
  type KeyFragment,
  type KeyPair,
} from '@medshare/crypto/tpre';
import { ProxyKey, parseProxyShare, reEncryptFor, type ProxyShare } from '../../../gateway/src/proxy/proxy';
import { Harness, ORG1, ORG2, type Party } from './harness';

export interface Upload {
  readonly fileId: string;
  readonly delegating: KeyPair;
  readonly key: Uint8Array;
  readonly body: FileUploadBody;
}

/** The receiver's B: its K1 as the compressed point §15 takes. */
export function pointOf(party: Party): ReturnType<typeof decodePoint> {
  return decodePoint(compressedPublicKey(party.publicKey), 'receiver');
}

export const hex32 = (): string => toHex(crypto.getRandomValues(new Uint8Array(32)));

/** The chaincode over fabric-sim with three proxies registered (two by Org1, one by Org2). */
export class Files {
  readonly proxies: ProxyKey[] = [];

  private constructor(readonly h: Harness) {}

  static async create(): Promise<Files> {
    const f = new Files(await Harness.create());
    for (const org of [ORG1, ORG1, ORG2]) {
      const key = ProxyKey.fromPem(privateKeyToPem(sm2KeyPair().privateKey));
      await f.h.admin(org, 'files:RegisterProxy', key.publicKey);
      f.proxies.push(key);
    }
    return f;
  }

  /** A descriptor as the app makes it: a per-file delegating pair, a capsule, `a` sealed to the owner. */
  descriptor(owner: Party): Omit<Upload, 'fileId'> {
    const delegating = generateKeyPair();
    const { capsule, key } = encapsulate(delegating.publicKey);
    const secret = fromHex(delegating.secret.toString(16).padStart(64, '0'));
    const body: FileUploadBody = {
      uploadId: hex32(),
      root: hex32(),
      size: 200 * 1024 * 1024,
      chunkBytes: 1 << 20,
      mediaType: 'application/dicom',
      capsule: toHex(encodeCapsule(capsule)),
      delegatingKey: toHex(encodePoint(delegating.publicKey)),
      ownerKeyWrap: toHex(encrypt(owner.publicKey, secret)),
      keyCheck: toHex(new Uint8Array(16).fill(3)),
    };
    return { delegating, key, body };
  }

  async upload(owner: Party): Promise<Upload> {
    const d = this.descriptor(owner);
    const result = await this.h.act('file-upload', owner, d.body);
    return { ...d, fileId: result.fileId as string };
  }

  /** t-of-n key fragments for `receiver`, each sealed to one of `to` (default: all three proxies). */
  shareBody(
    upload: Upload,
    receiver: Party,
    threshold = 2,
    to: readonly ProxyKey[] = this.proxies,
  ): { body: FileShareBody; fragments: KeyFragment[] } {
    const fragments = generateKeyFragments(upload.delegating, pointOf(receiver), threshold, to.length);
    return {
      fragments,
      body: {
        fileId: upload.fileId,
        receiverKeyId: receiver.keyId,
        threshold,
        fragments: to.map((proxy, i) => {
          const fragment = fragments[i] as KeyFragment;
          return {
            proxyId: proxy.proxyId,
            fragmentId: toHex(fragment.id),
            sealedFragment: toHex(encrypt(proxy.publicKey, encodeKeyFragment(fragment))),
          };
        }),
      },
    };
  }

  async share(
    owner: Party,
    upload: Upload,
    receiver: Party,
    threshold = 2,
  ): Promise<{ shareId: string; fragments: KeyFragment[] }> {
    const { body, fragments } = this.shareBody(upload, receiver, threshold);
    const result = await this.h.act('file-share', owner, body);
    return { shareId: result.shareId as string, fragments };
  }

  /** What the receiver's gateway does for file-fragments: GetShare, then each proxy re-encrypts. */
  async capsuleFragments(fileId: string, receiver: Party, org = ORG2): Promise<string[]> {
    const share = await this.h.act('file-fragments', receiver, { fileId }, org);
    const { proxies, ...common } = share as { proxies: Array<Record<string, unknown>> } & Record<string, unknown>;
    return proxies.map((p) => {
      const key = this.proxies.find((k) => k.proxyId === p.proxyId) as ProxyKey;
      const own = { proxyId: p.proxyId, fragmentId: p.fragmentId, sealedFragment: p.sealedFragment };
      return reEncryptFor(parseProxyShare({ ...common, ...own }), key).capsuleFragment;
    });
  }

  /** What a peer proxy's gateway does: files:GetShareForProxy with plain args. */
  async forProxy(fileId: string, receiver: Party, proxy: ProxyKey, org = ORG2): Promise<ProxyShare> {
    const { result } = await this.h.evaluate(
      'files:GetShareForProxy',
      [fileId, receiver.keyId, proxy.proxyId],
      this.h.client(org),
    );
    return parseProxyShare(JSON.parse(result));
  }
}
