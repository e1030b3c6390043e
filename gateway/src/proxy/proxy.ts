// SPDX-License-Identifier: Apache-2.0
/**
 * A re-encryption proxy (docs/protocol.md §15, §17): an SM2 key pair a gateway holds, registered
 * on the ledger (files:RegisterProxy). Given a share as the ledger states it, it opens its sealed
 * key fragment, checks it (signed by the file's delegating key for this receiver, and the id the
 * owner declared for this proxy), and re-encrypts the capsule under the share's context. Pure
 * logic: no HTTP, no ledger calls.
 */
import { readFileSync } from 'node:fs';
import { fromHex, toHex } from '@medshare/crypto/bytes';
import { decrypt, privateKeyFromPem, publicKeyFromPrivate } from '@medshare/crypto/sm2';
import {
  decodeCapsule,
  decodeKeyFragment,
  decodePoint,
  encodeCapsuleFragment,
  reEncrypt,
  verifyKeyFragment,
  type Capsule,
  type KeyFragment,
} from '@medshare/crypto/tpre';
import {
  compressedPublicKey,
  expectObject,
  expectString,
  fail,
  fileReEncryptContext,
  HEX64,
  HEX_PUBLIC_KEY,
  keyIdOf,
} from '@medshare/protocol';

/** One proxy's part of a share: the public parts and its own sealed key fragment. */
export interface ProxyShare {
  readonly fileId: string;
  readonly receiverKeyId: string;
  /** The receiver's K1 (65 bytes, hex): B. */
  readonly receiverPublicKey: string;
  readonly capsule: string;
  readonly delegatingKey: string;
  /** The share's transaction id: part of the context. */
  readonly shareId: string;
  readonly proxyId: string;
  readonly fragmentId: string;
  readonly sealedFragment: string;
}

export interface ProxyAnswer {
  readonly proxyId: string;
  /** §15 capsule fragment, hex (359 bytes). */
  readonly capsuleFragment: string;
}

const hex64 = (v: unknown, n: string): string => expectString(v, n, { pattern: HEX64 });
const HEX = /^[0-9a-f]+$/;

/**
 * files:GetShareForProxy's answer (or one proxy of files:GetShare's, with the share's fields):
 * validated from untrusted JSON; `context`, when present, must be the one the ids give.
 */
export function parseProxyShare(value: unknown, name = 'share'): ProxyShare {
  const o = expectObject(value, name, [
    'fileId',
    'receiverKeyId',
    'receiverPublicKey',
    'capsule',
    'delegatingKey',
    'threshold',
    'shareId',
    'context',
    'proxyId',
    'proxyPublicKey',
    'fragmentId',
    'sealedFragment',
  ]);
  const share: ProxyShare = {
    fileId: hex64(o.fileId, `${name}.fileId`),
    receiverKeyId: hex64(o.receiverKeyId, `${name}.receiverKeyId`),
    receiverPublicKey: expectString(o.receiverPublicKey, `${name}.receiverPublicKey`, { pattern: HEX_PUBLIC_KEY }),
    capsule: expectString(o.capsule, `${name}.capsule`, { pattern: HEX, maxLength: 512 }),
    delegatingKey: expectString(o.delegatingKey, `${name}.delegatingKey`, { pattern: HEX, maxLength: 66 }),
    shareId: hex64(o.shareId, `${name}.shareId`),
    proxyId: hex64(o.proxyId, `${name}.proxyId`),
    fragmentId: hex64(o.fragmentId, `${name}.fragmentId`),
    sealedFragment: expectString(o.sealedFragment, `${name}.sealedFragment`, { pattern: HEX, maxLength: 2048 }),
  };
  if (o.context !== undefined && o.context !== toHex(contextOf(share)))
    throw fail('INVALID_INPUT', `${name}.context is not the share's re-encryption context`);
  return share;
}

function contextOf(share: ProxyShare): Uint8Array {
  return fileReEncryptContext(share.fileId, share.receiverKeyId, share.shareId);
}

/** A proxy's SM2 key pair, from a PKCS#8 PEM file like a K3's; the private key never leaves this object. */
export class ProxyKey {
  readonly #privateKey: string;
  readonly publicKey: string;
  /** keyIdOf(publicKey): the id the ledger knows the proxy by. */
  readonly proxyId: string;

  private constructor(privateKey: string) {
    this.#privateKey = privateKey;
    this.publicKey = publicKeyFromPrivate(privateKey);
    this.proxyId = keyIdOf(this.publicKey);
  }

  static fromPem(text: string): ProxyKey {
    let privateKey: string;
    try {
      privateKey = privateKeyFromPem(text);
    } catch (cause) {
      throw fail('INVALID_INPUT', 'the proxy key is not an SM2 private key in PKCS#8 PEM', cause);
    }
    return new ProxyKey(privateKey);
  }

  static fromFile(path: string): ProxyKey {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (cause) {
      throw fail('INVALID_INPUT', `cannot read proxy key file ${path}`, cause);
    }
    return ProxyKey.fromPem(text);
  }

  /** Opens a key fragment sealed (SM2, GB/T 32918.4) to this proxy. */
  open(sealedFragment: string): Uint8Array {
    try {
      return decrypt(this.#privateKey, fromHex(sealedFragment));
    } catch (cause) {
      throw fail('FRAGMENTS_INVALID', 'the sealed key fragment does not open with this proxy key', cause);
    }
  }

  toJSON(): { proxyId: string; publicKey: string } {
    return { proxyId: this.proxyId, publicKey: this.publicKey };
  }
}

function decoded(share: ProxyShare): {
  capsule: Capsule;
  delegating: ReturnType<typeof decodePoint>;
  receiver: ReturnType<typeof decodePoint>;
} {
  try {
    return {
      capsule: decodeCapsule(fromHex(share.capsule)),
      delegating: decodePoint(fromHex(share.delegatingKey), 'delegatingKey'),
      receiver: decodePoint(compressedPublicKey(share.receiverPublicKey), 'receiverPublicKey'),
    };
  } catch (cause) {
    throw fail(
      'INVALID_INPUT',
      `the share's capsule, delegating key or receiver key is invalid: ${(cause as Error).message}`,
      cause,
    );
  }
}

/**
 * Re-encrypts the share's capsule for its receiver with this proxy's key fragment. Refuses with
 * PROXY_NOT_FOUND a share of another proxy, and with FRAGMENTS_INVALID a sealed fragment that does
 * not open, does not decode, carries another id than the one the owner declared for this proxy,
 * or does not verify against the delegating key and the receiver (verifyKeyFragment).
 */
export function reEncryptFor(share: ProxyShare, proxyKey: ProxyKey): ProxyAnswer {
  if (share.proxyId !== proxyKey.proxyId)
    throw fail('PROXY_NOT_FOUND', `the share names proxy ${share.proxyId}, this key is ${proxyKey.proxyId}`);
  const { capsule, delegating, receiver } = decoded(share);
  const bytes = proxyKey.open(share.sealedFragment);
  let fragment: KeyFragment;
  try {
    fragment = decodeKeyFragment(bytes);
  } catch (cause) {
    throw fail('FRAGMENTS_INVALID', `the key fragment does not decode: ${(cause as Error).message}`, cause);
  } finally {
    bytes.fill(0);
  }
  if (toHex(fragment.id) !== share.fragmentId)
    throw fail('FRAGMENTS_INVALID', "the key fragment's id is not the one the share declares for this proxy");
  if (!verifyKeyFragment(fragment, delegating, receiver)) {
    throw fail('FRAGMENTS_INVALID', 'the key fragment does not verify against the delegating key and the receiver');
  }
  return {
    proxyId: proxyKey.proxyId,
    capsuleFragment: toHex(encodeCapsuleFragment(reEncrypt(fragment, capsule, contextOf(share)))),
  };
}
