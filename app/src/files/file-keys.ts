// SPDX-License-Identifier: Apache-2.0
/**
 * The SDK's key handling for large files (docs/protocol.md §15–§17), pure: the per-file delegating
 * pair and its capsule, the owner's sealed copy of the delegating secret, the t-of-n key
 * fragments sealed to the proxies, and opening the file key from verified capsule fragments.
 */
import { fromHex, toHex } from '@medshare/crypto/bytes';
import { fileKeys, keyCheck } from '@medshare/crypto/chunked-file';
import { decrypt, encrypt, publicKeyFromPrivate } from '@medshare/crypto/sm2';
import {
  decapsulate,
  decapsulateFragments,
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
  type CapsuleFragment,
  type KeyPair,
} from '@medshare/crypto/tpre';
import {
  compressedPublicKey,
  fail,
  keyIdOf,
  type FileDescriptor,
  type FileFragmentGrant,
  type FileFragmentsResult,
} from '@medshare/protocol';

/** A file's §16 keys: `encryption` for the chunks, `check` for the key check. */
export interface FileKeys {
  readonly encryption: Uint8Array;
  readonly check: Uint8Array;
}

/** The public parts of a new file's key, as the file-upload descriptor carries them. */
export interface NewFileKey extends FileKeys {
  readonly capsule: string;
  readonly delegatingKey: string;
  /** The delegating secret a (32 bytes) SM2-encrypted to the owner's K1. */
  readonly ownerKeyWrap: string;
}

const scalarBytes = (x: bigint): Uint8Array => fromHex(x.toString(16).padStart(64, '0'));

/** A fresh per-file delegating pair (never the owner's identity key, §15 "Why per file"), its capsule and key. */
export function newFileKey(ownerPublicKey: string): NewFileKey {
  const delegating = generateKeyPair();
  const { capsule, key } = encapsulate(delegating.publicKey);
  const secret = scalarBytes(delegating.secret);
  try {
    return {
      ...fileKeys(key),
      capsule: toHex(encodeCapsule(capsule)),
      delegatingKey: toHex(encodePoint(delegating.publicKey)),
      ownerKeyWrap: toHex(encrypt(ownerPublicKey, secret)),
    };
  } finally {
    secret.fill(0);
    key.fill(0);
  }
}

/** The §16 key check of a key for a root (hex). */
export function keyCheckHex(keys: FileKeys, root: string): string {
  return toHex(keyCheck(keys.check, fromHex(root)));
}

/** INTEGRITY_FAILED unless the opened key is this file's (checked before any chunk is decrypted). */
export function assertKeyCheck(keys: FileKeys, descriptor: { root: string; keyCheck: string }): void {
  if (keyCheckHex(keys, descriptor.root) !== descriptor.keyCheck)
    throw fail('INTEGRITY_FAILED', "the opened key does not match the file's key check");
}

/** The owner opens the delegating secret a from its key wrap and checks it against A. */
export function openDelegating(descriptor: FileDescriptor, ownerPrivateKey: string): KeyPair {
  if (descriptor.ownerKeyWrap === undefined) throw fail('NOT_OWNER', 'only the owner holds the key wrap');
  let bytes: Uint8Array;
  try {
    bytes = decrypt(ownerPrivateKey, fromHex(descriptor.ownerKeyWrap));
  } catch (cause) {
    throw fail('CIPHERTEXT_INVALID', "the file's key wrap does not open with this key", cause);
  }
  const hex = toHex(bytes);
  bytes.fill(0);
  let derived: string;
  try {
    // A = a·G, compressed as the descriptor carries it (§15 point encoding).
    derived = toHex(compressedPublicKey(publicKeyFromPrivate(hex)));
  } catch (cause) {
    throw fail('INTEGRITY_FAILED', 'the key wrap holds no valid delegating secret', cause);
  }
  if (derived !== descriptor.delegatingKey)
    throw fail('INTEGRITY_FAILED', "the key wrap's secret is not the file's delegating key");
  return { secret: BigInt(`0x${hex}`), publicKey: decodePoint(fromHex(descriptor.delegatingKey), 'delegatingKey') };
}

/** The owner's file key: decapsulate with a (§15). */
export function ownerFileKeys(descriptor: FileDescriptor, delegating: KeyPair): FileKeys {
  const key = decapsulate(delegating.secret, decodeCapsule(fromHex(descriptor.capsule)));
  try {
    return fileKeys(key);
  } finally {
    key.fill(0);
  }
}

export interface ProxyEntry {
  readonly proxyId: string;
  readonly publicKey: string;
}

/** t-of-n key fragments for the receiver, each sealed (SM2) to one proxy, with its public id (§17 share body). */
export function shareFragments(
  delegating: KeyPair,
  receiverPublicKey: string,
  threshold: number,
  proxies: readonly ProxyEntry[],
): FileFragmentGrant[] {
  for (const p of proxies)
    if (keyIdOf(p.publicKey) !== p.proxyId)
      throw fail('INVALID_INPUT', `proxy ${p.proxyId} is listed with another key`);
  const receiver = decodePoint(compressedPublicKey(receiverPublicKey), 'receiver');
  const fragments = generateKeyFragments(delegating, receiver, threshold, proxies.length);
  return fragments.map((f, i) => {
    const bytes = encodeKeyFragment(f);
    try {
      return {
        proxyId: (proxies[i] as ProxyEntry).proxyId,
        fragmentId: toHex(f.id),
        sealedFragment: toHex(encrypt((proxies[i] as ProxyEntry).publicKey, bytes)),
      };
    } finally {
      bytes.fill(0);
    }
  });
}

/**
 * The receiver's side: the capsule fragments that verify (§15, under the share's context), in the
 * order given, each bad, undecodable or repeated one skipped for the next, and the file key
 * opened from the first `threshold` of them. FRAGMENTS_INVALID below the threshold.
 */
export function receiverFileKeys(
  share: FileFragmentsResult,
  capsuleFragments: readonly string[],
  receiverPrivateKey: string,
): { keys: FileKeys; verified: string[] } {
  const capsule = decodeCapsule(fromHex(share.capsule));
  const delegating = decodePoint(fromHex(share.delegatingKey), 'delegatingKey');
  const receiver: KeyPair = {
    secret: BigInt(`0x${receiverPrivateKey}`),
    publicKey: decodePoint(compressedPublicKey(share.receiverPublicKey), 'receiver'),
  };
  const context = fromHex(share.context);
  const verified: { hex: string; fragment: CapsuleFragment }[] = [];
  const ids = new Set<string>();
  // Only `threshold` fragments are needed: stop verifying once that many hold. A fragment of a key
  // fragment already used (the same proxy's answer twice) adds nothing: skipped like a bad one.
  for (const hex of capsuleFragments) {
    if (verified.length === share.threshold) break;
    try {
      const fragment = decodeCapsuleFragment(fromHex(hex));
      const id = toHex(fragment.id);
      if (ids.has(id)) continue;
      if (verifyCapsuleFragment(fragment, capsule, delegating, receiver.publicKey, context)) {
        verified.push({ hex, fragment });
        ids.add(id);
      }
    } catch (error) {
      // A fragment that does not decode is as useless as one that does not verify; anything else is a bug.
      if (!(error instanceof RangeError)) throw error;
    }
  }
  if (verified.length < share.threshold)
    throw fail('FRAGMENTS_INVALID', `${verified.length} capsule fragments verify; the share needs ${share.threshold}`);
  const used = verified.slice(0, share.threshold);
  let key: Uint8Array;
  try {
    key = decapsulateFragments(
      receiver,
      delegating,
      capsule,
      used.map((v) => v.fragment),
      share.threshold,
      context,
    );
  } catch (cause) {
    throw fail('FRAGMENTS_INVALID', (cause as Error).message, cause);
  }
  try {
    return { keys: fileKeys(key), verified: used.map((v) => v.hex) };
  } finally {
    key.fill(0);
  }
}
