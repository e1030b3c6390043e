// SPDX-License-Identifier: Apache-2.0
import { fromHex, toHex } from '@medshare/crypto/bytes';
import { assertPublicKey } from '@medshare/crypto/sm2';
import { compressedPublicKey, decodeInput, fail, fileReEncryptContext, type KeyOperation } from '@medshare/protocol';
import {
  decodeCapsule,
  decodeCapsuleFragment,
  decodePoint,
  verifyCapsuleFragment,
  type Capsule,
  type CapsuleFragment,
} from '@medshare/crypto/tpre';
import { assertEnvironment } from '../../environment/environment';
import { assertSig1, type Authenticated } from '../../signature-chain/authenticate';
import type { UserState } from '../../state/model';
import type { LedgerState } from '../../state/state';
import { requireUser } from '../registry/tables';
import type { FileShareState, FileState, ProxyState } from './model';
import { files, fileShares, proxies } from './tables';

/** How long after a committed file view the gateway may serve the content (its download token). */
export const FILE_ACCESS_TTL_MS = 10 * 60 * 1000;

export async function requireFile(state: LedgerState, fileId: string): Promise<FileState> {
  const file = await files.get(state, { fileId });
  if (!file) throw fail('FILE_NOT_FOUND', `no file ${fileId}`);
  return file;
}

/** Share and revoke: the request must name the file's owner and carry the owner's sig1. */
export async function fileOwnerOnly(
  state: LedgerState,
  auth: Authenticated<KeyOperation>,
  fileId: string,
): Promise<FileState> {
  const file = await requireFile(state, fileId);
  if (auth.request.keyId !== file.owner) throw fail('NOT_OWNER', 'request.keyId is not the owner of the file');
  const owner = await requireUser(state, file.owner);
  assertSig1(owner.publicKey, auth.envelope, 'the file owner');
  return file;
}

/**
 * A share's parties pass the environment check (docs/protocol.md §7.6): the owner (the holder)
 * active, the receiver a registered, approved doctor or institution (so never the owner, a
 * patient). Resolves with the receiver.
 */
export async function shareParties(
  state: LedgerState,
  auth: Authenticated<KeyOperation>,
  file: FileState,
  receiverKeyId: string,
): Promise<UserState> {
  const { receiver } = await assertEnvironment(state, auth, { holder: file.owner, receiver: receiverKeyId });
  if (!receiver) throw fail('INTERNAL', 'the receiver check passed without a registry entry');
  return receiver;
}

/** A proxy that may hold fragments now: registered and not retired at `now`. */
export async function requireActiveProxy(
  state: LedgerState,
  proxyId: string,
  now: number,
  name: string,
): Promise<ProxyState> {
  const proxy = await proxies.get(state, { proxyId });
  if (!proxy) throw fail('PROXY_NOT_FOUND', `${name}: no proxy ${proxyId} is registered`);
  if (proxy.retiredAt !== undefined && proxy.retiredAt <= now)
    throw fail('PROXY_NOT_FOUND', `${name}: proxy ${proxyId} was retired at ${proxy.retiredAt}`);
  return proxy;
}

/**
 * The author of a file-fragments, file-view or file-get request, when not the owner: the
 * receiver of a current share, with its sig1, then the environment check (the owner the holder,
 * the author the receiver). Revoked and never-shared look the same: SHARE_NOT_FOUND.
 */
export async function activeShare(
  state: LedgerState,
  auth: Authenticated<KeyOperation>,
  file: FileState,
): Promise<{ share: FileShareState; author: UserState }> {
  const keyId = auth.request.keyId;
  const author = await requireUser(state, keyId);
  const share = await fileShares.get(state, { fileId: file.fileId, receiverKeyId: keyId });
  if (!share) throw fail('SHARE_NOT_FOUND', 'request.keyId has no current share of the file');
  assertSig1(author.publicKey, auth.envelope, 'the receiver');
  await assertEnvironment(state, auth, { holder: file.owner, receiver: keyId });
  return { share, author };
}

/**
 * The owner of the file with their sig1 and the environment check (the owner the holder, no
 * receiver), or undefined when the request names someone else.
 */
export async function asOwner(
  state: LedgerState,
  auth: Authenticated<KeyOperation>,
  file: FileState,
): Promise<UserState | undefined> {
  if (auth.request.keyId !== file.owner) return undefined;
  const owner = await requireUser(state, file.owner);
  assertSig1(owner.publicKey, auth.envelope, 'the file owner');
  await assertEnvironment(state, auth, { holder: file.owner });
  return owner;
}

/** The descriptor's capsule and delegating key, decoded and checked (§15) at upload. */
export function descriptorPoints(body: Pick<FileState, 'capsule' | 'delegatingKey' | 'ownerKeyWrap'>): {
  capsule: Capsule;
  delegating: ReturnType<typeof decodePoint>;
} {
  const capsule = decodeInput(
    (cause) => `request.body.capsule is not a valid capsule: ${cause.message}`,
    () => decodeCapsule(fromHex(body.capsule)),
  );
  const delegating = decodeInput(undefined, () =>
    decodePoint(fromHex(body.delegatingKey), 'request.body.delegatingKey'),
  );
  decodeInput('request.body.ownerKeyWrap: C1 is not a point on the SM2 curve', () =>
    assertPublicKey(body.ownerKeyWrap.slice(0, 130)),
  );
  return { capsule, delegating };
}

/**
 * The proxies that served a receiver's view, in the order of `capsuleFragments`: each fragment
 * decodes, carries the id of one of the share's key fragments (so it names the proxy the owner
 * sealed that key fragment to), repeats no other, comes from a proxy still registered, shares
 * the first fragment's precursor, and verifies (§15, deterministic) against the descriptor's
 * capsule and A, the receiver's K1 as B and the share's context. At least `threshold` of them.
 * Any fragment failing any check refuses the view (FRAGMENTS_INVALID, naming it): the receiver's
 * app verifies them before it submits, so a bad one is never an accident.
 */
export async function verifiedProxies(
  state: LedgerState,
  file: FileState,
  share: FileShareState,
  receiver: UserState,
  capsuleFragments: readonly string[],
  now: number,
): Promise<string[]> {
  if (capsuleFragments.length < share.threshold) {
    throw fail(
      'FRAGMENTS_INVALID',
      `${capsuleFragments.length} capsule fragments are below the share's threshold ${share.threshold}`,
    );
  }
  const { capsule, delegating } = descriptorPoints(file);
  const receiverPoint = decodePoint(compressedPublicKey(receiver.publicKey), 'receiver');
  const context = fileReEncryptContext(file.fileId, share.receiver, share.txId);
  const byFragmentId = new Map(share.fragments.map((f) => [f.fragmentId, f.proxyId]));
  const served: string[] = [];
  let first: CapsuleFragment | undefined;
  for (const [i, hex] of capsuleFragments.entries()) {
    const name = `request.body.capsuleFragments[${i}]`;
    let fragment: CapsuleFragment;
    try {
      fragment = decodeCapsuleFragment(fromHex(hex));
    } catch (cause) {
      throw fail('FRAGMENTS_INVALID', `${name} does not decode: ${(cause as Error).message}`);
    }
    const proxyId = byFragmentId.get(toHex(fragment.id));
    if (proxyId === undefined) throw fail('FRAGMENTS_INVALID', `${name} is not a fragment of this share`);
    if (served.includes(proxyId)) throw fail('FRAGMENTS_INVALID', `${name} repeats the fragment of proxy ${proxyId}`);
    await requireActiveProxy(state, proxyId, now, name);
    first ??= fragment;
    if (!fragment.precursor.equals(first.precursor))
      throw fail('FRAGMENTS_INVALID', `${name} belongs to another delegation`);
    if (!verifyCapsuleFragment(fragment, capsule, delegating, receiverPoint, context)) {
      throw fail('FRAGMENTS_INVALID', `${name} (proxy ${proxyId}) does not verify`);
    }
    served.push(proxyId);
  }
  return served;
}
