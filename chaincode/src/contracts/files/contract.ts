// SPDX-License-Identifier: Apache-2.0
import { toHex, utf8 } from '@medshare/crypto/bytes';
import { assertPublicKey } from '@medshare/crypto/sm2';
import { sm3 } from '@medshare/crypto/sm3';
import {
  actorKey,
  canonicalize,
  compressedPublicKey,
  decodeInput,
  expectString,
  fail,
  FILE_ID_LABEL,
  fileReEncryptContext,
  HEX64,
  keyIdOf,
  type FileDescriptor,
  type FileShareProxy,
  type JsonValue,
} from '@medshare/protocol';
import { Info, Returns, Transaction } from 'fabric-contract-api';
import { recordAccess } from '../../audit-log/audit-log';
import { assertOrgAdmin } from '../../identity/org-admin';
import { assertSig1, authenticate, txTimeMs } from '../../signature-chain/authenticate';
import { respond } from '../../signature-chain/respond';
import { MedshareBaseContract, type MedshareContractOptions } from '../base-contract';
import { changeEvent } from '../change-event';
// A value import: the decorators read the context's class from the parameter types.
import { MedshareContext } from '../context';
import { ownPage } from '../own-page';
import { expectPublicKey } from '../public-key';
import { requireUser, users } from '../registry/tables';
import type { FileShareState, FileState, ProxyState } from './model';
import {
  FILE_ACCESS_TTL_MS,
  activeShare,
  asOwner,
  descriptorPoints,
  fileOwnerOnly,
  requireActiveProxy,
  requireFile,
  shareParties,
  verifiedProxies,
} from './rules';
import { fileAccesses, fileOwnerIndex, fileShareReceiverIndex, fileShares, files, proxies } from './tables';

/** The descriptor as the owner sees it (with its key wrap) or a receiver (without). */
function descriptor(file: FileState, forOwner: boolean): FileDescriptor {
  const { ownerKeyWrap, ...rest } = file;
  return forOwner ? { ...rest, ownerKeyWrap } : rest;
}

/** What a proxy needs of a share and nothing more: public parts and its own sealed fragment. */
function proxyShare(
  file: FileState,
  share: FileShareState,
  receiverPublicKey: string,
  fragment: FileShareState['fragments'][number],
  proxy: ProxyState,
): JsonValue {
  return {
    fileId: file.fileId,
    receiverKeyId: share.receiver,
    receiverPublicKey,
    capsule: file.capsule,
    delegatingKey: file.delegatingKey,
    threshold: share.threshold,
    shareId: share.txId,
    context: toHex(fileReEncryptContext(file.fileId, share.receiver, share.txId)),
    proxyId: proxy.proxyId,
    proxyPublicKey: proxy.publicKey,
    fragmentId: fragment.fragmentId,
    sealedFragment: fragment.sealedFragment,
  };
}

@Info({
  title: 'files',
  description:
    'medshare large files: descriptors of off-chain ciphertexts, t-of-n re-encryption shares, audit-first views',
})
export class FilesContract extends MedshareBaseContract {
  constructor(options: MedshareContractOptions = {}) {
    super('files', options);
  }

  /** Records a file's descriptor; the owner is the author, a registered patient (the holder). */
  @Transaction()
  @Returns('string')
  async UploadFile(ctx: MedshareContext, envelope: string): Promise<string> {
    const { state } = ctx;
    const auth = await authenticate(ctx, state, envelope, 'file-upload', { consumeNonce: true });
    const { body } = auth.request;
    const owner = await requireUser(state, auth.request.keyId);
    if (owner.role !== 'patient')
      throw fail('NOT_REGISTERED_PATIENT', 'the author of a file upload must be a registered patient');
    assertSig1(owner.publicKey, auth.envelope, 'the author');
    descriptorPoints(body);
    const fileId = toHex(sm3(utf8(`${FILE_ID_LABEL}${ctx.stub.getTxID()}`)));
    const file: FileState = { ...body, fileId, owner: owner.keyId, org: auth.org, uploadedAt: auth.now };
    await files.put(state, { fileId }, file);
    await recordAccess(ctx, state, auth, { recordId: fileId, owner: owner.keyId, action: 'file-upload' });
    return respond(ctx, this.contractKey, auth, { fileId, root: body.root, size: body.size, uploadedAt: auth.now });
  }

  /** Shares a file t-of-n to a receiver; a second share to the same receiver replaces the first. */
  @Transaction()
  @Returns('string')
  async ShareFile(ctx: MedshareContext, envelope: string): Promise<string> {
    const { state } = ctx;
    const auth = await authenticate(ctx, state, envelope, 'file-share', { consumeNonce: true });
    const { fileId, receiverKeyId, threshold, fragments } = auth.request.body;
    const file = await fileOwnerOnly(state, auth, fileId);
    await shareParties(state, auth, file, receiverKeyId);
    for (const [i, fragment] of fragments.entries()) {
      const name = `request.body.fragments[${i}]`;
      await requireActiveProxy(state, fragment.proxyId, auth.now, name);
      decodeInput(`${name}.sealedFragment: C1 is not a point on the SM2 curve`, () =>
        assertPublicKey(fragment.sealedFragment.slice(0, 130)),
      );
    }
    const txId = ctx.stub.getTxID();
    const share: FileShareState = { fileId, receiver: receiverKeyId, threshold, fragments, sharedAt: auth.now, txId };
    await fileShares.put(state, { fileId, receiverKeyId }, share);
    await recordAccess(ctx, state, auth, {
      recordId: fileId,
      owner: file.owner,
      action: 'file-share',
      subjectKeyId: receiverKeyId,
    });
    return respond(ctx, this.contractKey, auth, {
      fileId,
      receiverKeyId,
      threshold,
      shareId: txId,
      sharedAt: auth.now,
    });
  }

  @Transaction()
  @Returns('string')
  async RevokeFileShare(ctx: MedshareContext, envelope: string): Promise<string> {
    const { state } = ctx;
    const auth = await authenticate(ctx, state, envelope, 'file-revoke', { consumeNonce: true });
    const { fileId, receiverKeyId } = auth.request.body;
    const file = await fileOwnerOnly(state, auth, fileId);
    const share = await fileShares.get(state, { fileId, receiverKeyId });
    if (!share) throw fail('SHARE_NOT_FOUND', 'no current share of that file to that key');
    await fileShares.delete(state, { fileId, receiverKeyId }, share);
    await recordAccess(ctx, state, auth, {
      recordId: fileId,
      owner: file.owner,
      action: 'file-revoke',
      subjectKeyId: receiverKeyId,
    });
    return respond(ctx, this.contractKey, auth, { fileId, receiverKeyId, revokedAt: auth.now });
  }

  /**
   * The receiver's share (op file-fragments): the capsule, A, the threshold, the context and, per
   * proxy still registered, its sealed key fragment, for the receiver's gateway to ask the proxies.
   */
  @Transaction(false)
  @Returns('string')
  async GetShare(ctx: MedshareContext, envelope: string): Promise<string> {
    const { state } = ctx;
    const auth = await authenticate(ctx, state, envelope, 'file-fragments', { consumeNonce: false });
    const file = await requireFile(state, auth.request.body.fileId);
    const { share, author } = await activeShare(state, auth, file);
    const served: FileShareProxy[] = [];
    for (const fragment of share.fragments) {
      const proxy = await proxies.get(state, { proxyId: fragment.proxyId });
      if (!proxy || (proxy.retiredAt !== undefined && proxy.retiredAt <= auth.now)) continue;
      served.push({
        proxyId: proxy.proxyId,
        publicKey: proxy.publicKey,
        org: proxy.org,
        fragmentId: fragment.fragmentId,
        sealedFragment: fragment.sealedFragment,
      });
    }
    return respond(ctx, this.contractKey, auth, {
      fileId: file.fileId,
      receiverKeyId: author.keyId,
      receiverPublicKey: author.publicKey,
      capsule: file.capsule,
      delegatingKey: file.delegatingKey,
      threshold: share.threshold,
      shareId: share.txId,
      context: toHex(fileReEncryptContext(file.fileId, share.receiver, share.txId)),
      proxies: served,
    });
  }

  /**
   * Audit-first access to a file: the owner needs no fragments; a receiver submits at least the
   * share's threshold of capsule fragments, which the chaincode verifies (rules.ts
   * verifiedProxies), and the access records the proxies that served them.
   */
  @Transaction()
  @Returns('string')
  async ViewFile(ctx: MedshareContext, envelope: string): Promise<string> {
    const { state } = ctx;
    const auth = await authenticate(ctx, state, envelope, 'file-view', { consumeNonce: true });
    const { fileId, capsuleFragments } = auth.request.body;
    const file = await requireFile(state, fileId);
    let served: string[] = [];
    if (await asOwner(state, auth, file)) {
      if (capsuleFragments.length > 0) throw fail('INVALID_INPUT', 'the owner views a file without capsule fragments');
    } else {
      const { share, author } = await activeShare(state, auth, file);
      served = await verifiedProxies(state, file, share, author, capsuleFragments, auth.now);
    }
    const txId = ctx.stub.getTxID();
    await fileAccesses.put(
      state,
      { fileId, actor: actorKey(auth.actor), txId },
      { at: auth.now, txId, proxies: served },
    );
    await recordAccess(ctx, state, auth, { recordId: fileId, owner: file.owner, action: 'file-view' });
    return respond(ctx, this.contractKey, auth, {
      fileId,
      accessId: txId,
      readableUntil: auth.now + FILE_ACCESS_TTL_MS,
      // The stored object's name (files/<root>): what the gateway streams to this access.
      root: file.root,
      size: file.size,
      proxies: served,
    });
  }

  /** The descriptor, for the owner (with ownerKeyWrap) or a receiver with a current share. */
  @Transaction(false)
  @Returns('string')
  async GetFile(ctx: MedshareContext, envelope: string): Promise<string> {
    const { state } = ctx;
    const auth = await authenticate(ctx, state, envelope, 'file-get', { consumeNonce: false });
    const file = await requireFile(state, auth.request.body.fileId);
    if (await asOwner(state, auth, file)) return respond(ctx, this.contractKey, auth, descriptor(file, true));
    const { share } = await activeShare(state, auth, file);
    return respond(ctx, this.contractKey, auth, {
      ...descriptor(file, false),
      threshold: share.threshold,
      shareId: share.txId,
    });
  }

  @Transaction(false)
  @Returns('string')
  ListFiles(ctx: MedshareContext, envelope: string): Promise<string> {
    return ownPage(ctx, this.contractKey, envelope, 'file-list', (state, keyId, size, bookmark) =>
      fileOwnerIndex.page(state, { ownerKeyId: keyId }, size, bookmark),
    );
  }

  @Transaction(false)
  @Returns('string')
  ListSharedFiles(ctx: MedshareContext, envelope: string): Promise<string> {
    return ownPage(ctx, this.contractKey, envelope, 'file-list-shared', (state, keyId, size, bookmark) =>
      fileShareReceiverIndex.page(state, { receiverKeyId: keyId }, size, bookmark),
    );
  }

  /** An org admin registers a re-encryption proxy's SM2 key for their org (idempotent). */
  @Transaction()
  @Returns('string')
  async RegisterProxy(ctx: MedshareContext, publicKey: string): Promise<string> {
    const org = assertOrgAdmin(ctx.clientIdentity);
    expectPublicKey(publicKey, 'publicKey');
    const proxyId = keyIdOf(publicKey);
    const existing = await proxies.get(ctx.state, { proxyId });
    if (existing) {
      if (existing.org === org && existing.retiredAt === undefined) return canonicalize(existing);
      throw fail('ALREADY_REGISTERED', `proxy ${proxyId} is already registered by ${existing.org} or retired`);
    }
    const proxy: ProxyState = { proxyId, publicKey, org, registeredAt: txTimeMs(ctx) };
    await proxies.put(ctx.state, { proxyId }, proxy);
    changeEvent(ctx, 'ProxyRegistered', { proxyId, org });
    return canonicalize(proxy);
  }

  /** An admin of the proxy's org retires it: from now on it serves no share and no new share names it. */
  @Transaction()
  @Returns('string')
  async RetireProxy(ctx: MedshareContext, proxyId: string): Promise<string> {
    expectString(proxyId, 'proxyId', { pattern: HEX64 });
    const existing = await proxies.get(ctx.state, { proxyId });
    if (!existing) throw fail('PROXY_NOT_FOUND', `no proxy ${proxyId} is registered`);
    assertOrgAdmin(ctx.clientIdentity, existing.org);
    if (existing.retiredAt !== undefined) return canonicalize(existing);
    const retired: ProxyState = { ...existing, retiredAt: txTimeMs(ctx) };
    await proxies.put(ctx.state, { proxyId }, retired);
    changeEvent(ctx, 'ProxyRetired', { proxyId, org: existing.org });
    return canonicalize(retired);
  }

  /** Every proxy ever registered, retired ones with their retiredAt: what an owner shares to. */
  @Transaction(false)
  @Returns('string')
  async ListProxies(ctx: MedshareContext): Promise<string> {
    return canonicalize(await proxies.all(ctx.state, {}));
  }

  /**
   * A proxy's gateway asks for its fragment of a share (plain arguments, any org's client): only
   * the share's public parts and that proxy's sealed fragment.
   */
  @Transaction(false)
  @Returns('string')
  async GetShareForProxy(
    ctx: MedshareContext,
    fileId: string,
    receiverKeyId: string,
    proxyId: string,
  ): Promise<string> {
    expectString(fileId, 'fileId', { pattern: HEX64 });
    expectString(receiverKeyId, 'receiverKeyId', { pattern: HEX64 });
    expectString(proxyId, 'proxyId', { pattern: HEX64 });
    const { state } = ctx;
    const file = await requireFile(state, fileId);
    const share = await fileShares.get(state, { fileId, receiverKeyId });
    if (!share) throw fail('SHARE_NOT_FOUND', 'no current share of that file to that key');
    const fragment = share.fragments.find((f) => f.proxyId === proxyId);
    if (!fragment) throw fail('PROXY_NOT_FOUND', `proxy ${proxyId} holds no fragment of this share`);
    const proxy = await requireActiveProxy(state, proxyId, txTimeMs(ctx), 'proxyId');
    const receiver = await users.get(state, { keyId: receiverKeyId });
    if (!receiver) throw fail('INTERNAL', 'the receiver of a share is not registered');
    // The receiver's point is what the proxy checks its key fragment against; decoding it here
    // refuses a malformed key before any proxy works on it.
    compressedPublicKey(receiver.publicKey);
    return canonicalize(proxyShare(file, share, receiver.publicKey, fragment, proxy));
  }
}
