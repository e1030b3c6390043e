import {
  MAX_RECORD_BYTES,
  MedshareError,
  SEALED_OVERHEAD,
  assertPublicKey,
  canonicalize,
  expectInteger,
  expectString,
  fail,
  fromBase64,
  HEX64,
  HEX_PUBLIC_KEY,
  keyIdOf,
  signDeterministicFor,
  sm3,
  toHex,
  utf8,
  AUDIT_EVENT_NAME,
  type AuditEvent,
  type ContractResponse,
  type JsonValue,
  type Operation,
} from '@medshare/protocol';
import { Context, Contract, Info, Returns, Transaction } from 'fabric-contract-api';
import { loadContractKey, type ContractKey } from './config/contract-key';
import { assertOrgAdmin } from './identity/org-admin';
import { marshal } from './state/codec';
import { KEY, sortableTime } from './state/keys';
import {
  parseAccessTicket,
  parseAudit,
  type AccessKeyState,
  type AuditAction,
  type AuditState,
  type RecordState,
  type UserState,
  parseAccessKey,
  parseGranteeIndex,
  parseOwnerIndex,
  parsePseudonym,
  parseRecordData,
  parseUploadKey,
} from './state/model';
import { LedgerState } from './state/state';
import { assertSig1, authenticate, txTimeMs, type Authenticated } from './signature-chain/authenticate';

/** The contract transaction for each protocol operation: submitted or evaluated per SUBMIT_OPERATIONS. */
export const TRANSACTION_BY_OP: Readonly<Record<Operation, string>> = {
  register: 'Register',
  upload: 'Upload',
  grant: 'Grant',
  revoke: 'Revoke',
  view: 'View',
  read: 'Read',
  'list-records': 'ListRecords',
  'list-grants': 'ListGrants',
  audit: 'Audit',
};

/** How long after a committed view the data may be read by evaluation. */
export const ACCESS_TICKET_TTL_MS = 10 * 60 * 1000;

export interface MedshareContractOptions {
  /** K4; by default read once from the process configuration (config/contract-key.ts). */
  readonly contractKey?: ContractKey;
}

const DIGITS = /^[0-9]{1,16}$/;

function parseTime(value: unknown, name: string): number {
  return expectInteger(Number(expectString(value, name, { pattern: DIGITS })), name);
}

@Info({ title: 'medshare', description: 'Patient-controlled medical record sharing with an SM2 signature chain' })
export class MedshareContract extends Contract {
  readonly #k4: ContractKey | undefined;

  constructor(options: MedshareContractOptions = {}) {
    super('medshare');
    this.#k4 = options.contractKey ?? loadContractKey();
  }

  /** Unknown function names are input errors, not crashes. */
  override unknownTransaction(ctx: Context): Promise<void> {
    const { fcn } = ctx.stub.getFunctionAndParameters();
    return Promise.reject(fail('INVALID_INPUT', `unknown transaction ${fcn.slice(0, 64)}`));
  }

  // ---- registry -------------------------------------------------------------------------

  /** A patient, doctor or institution registers its K1 (proof of possession: sig1 by the new key). */
  @Transaction()
  @Returns('string')
  Register(ctx: Context, envelope: string): Promise<string> {
    return this.#guard(ctx, 'Register', async (state) => {
      const auth = await authenticate(ctx, state, envelope, 'register', { consumeNonce: true });
      const { body } = auth.request;
      try {
        assertPublicKey(body.publicKey, 'request.body.publicKey');
      } catch {
        throw fail('INVALID_INPUT', 'request.body.publicKey is not a point on the SM2 curve');
      }
      const keyId = keyIdOf(body.publicKey);
      if (keyId !== auth.request.keyId) throw fail('INVALID_INPUT', 'request.keyId must be the key id of request.body.publicKey');
      assertSig1(body.publicKey, auth.envelope, 'the key being registered');
      if (await state.exists(KEY.user, keyId)) throw fail('ALREADY_REGISTERED', `key ${keyId} is already registered`);
      if (await state.exists(KEY.pseudonym, body.role, body.pseudonym))
        throw fail('ALREADY_REGISTERED', `a ${body.role} with that pseudonym is already registered`);
      const user: UserState = {
        keyId,
        publicKey: body.publicKey,
        role: body.role,
        pseudonym: body.pseudonym,
        org: auth.org,
        status: body.role === 'patient' ? 'active' : 'pending',
        registeredAt: auth.now,
      };
      await state.write(KEY.user, [keyId], user);
      await state.write(KEY.pseudonym, [body.role, body.pseudonym], { keyId });
      this.#event(ctx, 'UserRegistered', { keyId, role: user.role, status: user.status });
      return this.#respond(ctx, auth, { keyId, role: user.role, status: user.status, org: user.org });
    });
  }

  /** An org admin approves a doctor or institution registered through its org's access layer. */
  @Transaction()
  @Returns('string')
  ApproveUser(ctx: Context, keyId: string): Promise<string> {
    return this.#guard(ctx, 'ApproveUser', async (state) => {
      expectString(keyId, 'keyId', { pattern: HEX64 });
      const user = await state.user(keyId);
      if (!user) throw fail('USER_NOT_FOUND', `no user ${keyId}`);
      const admin = assertOrgAdmin(ctx.clientIdentity, user.org);
      if (user.role === 'patient') throw fail('INVALID_INPUT', 'patients need no approval');
      if (user.status !== 'active') {
        await state.write(KEY.user, [keyId], { ...user, status: 'active', approvedBy: ctx.clientIdentity.getID() });
        this.#event(ctx, 'UserApproved', { keyId, org: admin });
      }
      return canonicalize({ keyId, role: user.role, status: 'active', org: user.org });
    });
  }

  /** The public directory entry of a key: what an app needs to wrap a record key for a grantee. */
  @Transaction(false)
  @Returns('string')
  GetUser(ctx: Context, keyId: string): Promise<string> {
    return this.#guard(ctx, 'GetUser', async (state) => {
      expectString(keyId, 'keyId', { pattern: HEX64 });
      const user = await state.user(keyId);
      if (!user) throw fail('USER_NOT_FOUND', `no user ${keyId}`);
      return canonicalize({ keyId: user.keyId, publicKey: user.publicKey, role: user.role, status: user.status, org: user.org });
    });
  }

  // ---- access-layer keys (K3), managed by org admins --------------------------------------

  @Transaction()
  @Returns('string')
  RegisterAccessKey(ctx: Context, publicKey: string, notBefore: string, notAfter: string): Promise<string> {
    return this.#guard(ctx, 'RegisterAccessKey', async (state) => {
      const org = assertOrgAdmin(ctx.clientIdentity);
      expectString(publicKey, 'publicKey', { pattern: HEX_PUBLIC_KEY });
      try {
        assertPublicKey(publicKey);
      } catch {
        throw fail('INVALID_INPUT', 'publicKey is not a point on the SM2 curve');
      }
      const from = parseTime(notBefore, 'notBefore');
      const until = parseTime(notAfter, 'notAfter');
      if (until <= from) throw fail('INVALID_INPUT', 'notAfter must be after notBefore');
      const keyId = keyIdOf(publicKey);
      const entry: AccessKeyState = { keyId, publicKey, org, notBefore: from, notAfter: until };
      const existing = await state.accessKey(org, keyId);
      if (existing) {
        if (existing.notBefore === from && existing.notAfter === until && existing.retiredAt === undefined) return canonicalize(existing);
        throw fail('ALREADY_REGISTERED', `K3 ${keyId} is already registered for ${org} with another window or retired`);
      }
      await state.write(KEY.accessKey, [org, keyId], entry);
      this.#event(ctx, 'AccessKeyRegistered', { keyId, org });
      return canonicalize(entry);
    });
  }

  /** Retires a K3 at `retireAt` (Unix ms; default: now). Requests signed by it fail from then on. */
  @Transaction()
  @Returns('string')
  RetireAccessKey(ctx: Context, keyId: string, retireAt: string): Promise<string> {
    return this.#guard(ctx, 'RetireAccessKey', async (state) => {
      const org = assertOrgAdmin(ctx.clientIdentity);
      expectString(keyId, 'keyId', { pattern: HEX64 });
      const when = retireAt ? parseTime(retireAt, 'retireAt') : txTimeMs(ctx);
      const existing = await state.accessKey(org, keyId);
      if (!existing) throw fail('KEY_NOT_FOUND', `no K3 ${keyId} for ${org}`);
      if (existing.retiredAt !== undefined) return canonicalize(existing);
      const retired = { ...existing, retiredAt: when };
      await state.write(KEY.accessKey, [org, keyId], retired);
      this.#event(ctx, 'AccessKeyRetired', { keyId, org });
      return canonicalize(retired);
    });
  }

  @Transaction(false)
  @Returns('string')
  ListAccessKeys(ctx: Context, mspId: string): Promise<string> {
    return this.#guard(ctx, 'ListAccessKeys', async (state) => {
      expectString(mspId, 'mspId', { pattern: /^[A-Za-z0-9][A-Za-z0-9.-]{0,63}$/ });
      return canonicalize(await state.all(KEY.accessKey, [mspId], parseAccessKey));
    });
  }

  // ---- records (claims 2–5) -------------------------------------------------------------

  /**
   * Uploads a sealed record. With `body.idempotencyKey`, the key is stored under the owner in the
   * same transaction as the record; a later upload by the same owner with the same key and the
   * same content returns the first record (`replayed: true`) and writes nothing, so a client
   * that did not learn the first one's outcome can retry safely.
   */
  @Transaction()
  @Returns('string')
  Upload(ctx: Context, envelope: string): Promise<string> {
    return this.#guard(ctx, 'Upload', async (state) => {
      const auth = await authenticate(ctx, state, envelope, 'upload', { consumeNonce: true, writeNonceLater: true });
      const { body } = auth.request;
      const patient = await state.read(KEY.pseudonym, ['patient', body.patientId], parsePseudonym);
      if (!patient) throw fail('NOT_REGISTERED_PATIENT', 'no registered patient has request.body.patientId');
      if (patient.keyId !== auth.request.keyId) throw fail('NOT_OWNER', 'request.keyId is not the key of the patient the record names');
      const owner = await this.#requireUser(state, patient.keyId);
      assertSig1(owner.publicKey, auth.envelope, 'the patient the record names');
      let sealed: Uint8Array;
      try {
        sealed = fromBase64(body.ciphertext, 'request.body.ciphertext');
      } catch {
        throw fail('INVALID_INPUT', 'request.body.ciphertext is not canonical base64');
      }
      if (sealed.length < SEALED_OVERHEAD || sealed.length > MAX_RECORD_BYTES) {
        throw fail('INVALID_INPUT', `request.body.ciphertext must be ${SEALED_OVERHEAD}..${MAX_RECORD_BYTES} bytes`);
      }
      if (toHex(sm3(sealed)) !== body.contentHash) throw fail('INVALID_INPUT', 'request.body.contentHash is not SM3 of the ciphertext');
      if (body.idempotencyKey !== undefined) {
        const earlier = await state.read(KEY.uploadKey, [owner.keyId, body.idempotencyKey], parseUploadKey);
        if (earlier) return this.#replayUpload(ctx, state, auth, earlier.recordId);
      }
      await auth.writeNonce();
      const txId = ctx.stub.getTxID();
      const recordId = toHex(sm3(utf8(`medshare/v1/record\n${txId}`)));
      const record: RecordState = {
        recordId,
        owner: owner.keyId,
        patientId: body.patientId,
        org: auth.org,
        contentHash: body.contentHash,
        ownerKeyWrap: body.ownerKeyWrap,
        metadata: body.metadata,
        uploadedAt: auth.now,
      };
      await state.write(KEY.record, [recordId], record);
      await state.write(KEY.recordData, [recordId], { ciphertext: body.ciphertext });
      await state.write(KEY.ownerIndex, [owner.keyId, recordId], {
        recordId,
        kind: body.metadata.kind,
        createdAt: body.metadata.createdAt,
        uploadedAt: auth.now,
      });
      if (body.idempotencyKey !== undefined) await state.write(KEY.uploadKey, [owner.keyId, body.idempotencyKey], { recordId });
      this.#auditEvent(ctx, owner.keyId, await this.#audit(ctx, state, auth, recordId, 'upload'));
      return this.#respond(ctx, auth, { recordId, contentHash: body.contentHash, uploadedAt: auth.now });
    });
  }

  /**
   * The answer to an upload whose idempotency key its owner already used: the earlier record,
   * if the request is the same upload (same patient, sealed content, key wrap and metadata).
   * Nothing is written, not even the nonce: the transaction commits with an empty write set.
   */
  async #replayUpload(ctx: Context, state: LedgerState, auth: Authenticated<'upload'>, recordId: string): Promise<string> {
    const record = await state.record(recordId);
    if (!record) throw fail('INTERNAL', 'the record of an idempotency key is missing');
    const { body } = auth.request;
    const same =
      record.patientId === body.patientId &&
      record.contentHash === body.contentHash &&
      record.ownerKeyWrap === body.ownerKeyWrap &&
      record.metadata.kind === body.metadata.kind &&
      record.metadata.createdAt === body.metadata.createdAt;
    if (!same) throw fail('IDEMPOTENCY_KEY_REUSED', 'request.body.idempotencyKey was already used by this owner for an upload with other content');
    return this.#respond(ctx, auth, { recordId, contentHash: record.contentHash, uploadedAt: record.uploadedAt, replayed: true });
  }

  @Transaction()
  @Returns('string')
  Grant(ctx: Context, envelope: string): Promise<string> {
    return this.#guard(ctx, 'Grant', async (state) => {
      const auth = await authenticate(ctx, state, envelope, 'grant', { consumeNonce: true });
      const { body } = auth.request;
      const record = await this.#ownerOnly(state, auth, body.recordId);
      if (body.granteeKeyId === record.owner) throw fail('INVALID_INPUT', 'the owner cannot be a grantee of their own record');
      const grantee = await state.user(body.granteeKeyId);
      if (!grantee || grantee.role === 'patient' || grantee.status !== 'active') {
        throw fail('NOT_REGISTERED_DOCTOR', 'request.body.granteeKeyId is not a registered, approved doctor or institution');
      }
      await state.write(KEY.grant, [body.recordId, body.granteeKeyId], {
        recordId: body.recordId,
        granteeKeyId: body.granteeKeyId,
        keyWrap: body.keyWrap,
        grantedAt: auth.now,
      });
      await state.write(KEY.granteeIndex, [body.granteeKeyId, body.recordId], { recordId: body.recordId, grantedAt: auth.now });
      this.#auditEvent(ctx, record.owner, await this.#audit(ctx, state, auth, body.recordId, 'grant', body.granteeKeyId));
      return this.#respond(ctx, auth, { recordId: body.recordId, granteeKeyId: body.granteeKeyId, grantedAt: auth.now });
    });
  }

  @Transaction()
  @Returns('string')
  Revoke(ctx: Context, envelope: string): Promise<string> {
    return this.#guard(ctx, 'Revoke', async (state) => {
      const auth = await authenticate(ctx, state, envelope, 'revoke', { consumeNonce: true });
      const { body } = auth.request;
      const record = await this.#ownerOnly(state, auth, body.recordId);
      if (!(await state.exists(KEY.grant, body.recordId, body.granteeKeyId))) throw fail('GRANT_NOT_FOUND', 'no grant of that record to that key');
      await state.remove(KEY.grant, body.recordId, body.granteeKeyId);
      await state.remove(KEY.granteeIndex, body.granteeKeyId, body.recordId);
      this.#auditEvent(ctx, record.owner, await this.#audit(ctx, state, auth, body.recordId, 'revoke', body.granteeKeyId));
      return this.#respond(ctx, auth, { recordId: body.recordId, granteeKeyId: body.granteeKeyId, revokedAt: auth.now });
    });
  }

  /**
   * Audit-first access (claims 4, 5): commits who viewed what, when and under which request, and
   * returns an access id. The data itself is returned only by {@link Read}, an evaluation, so it
   * never enters a block.
   */
  @Transaction()
  @Returns('string')
  View(ctx: Context, envelope: string): Promise<string> {
    return this.#guard(ctx, 'View', async (state) => {
      const auth = await authenticate(ctx, state, envelope, 'view', { consumeNonce: true });
      const { recordId } = auth.request.body;
      const { record } = await this.#ownerOrGrantee(state, auth, recordId);
      const txId = ctx.stub.getTxID();
      await state.write(KEY.access, [recordId, auth.request.keyId, txId], { at: auth.now, txId });
      this.#auditEvent(ctx, record.owner, await this.#audit(ctx, state, auth, recordId, 'view'));
      return this.#respond(ctx, auth, { recordId, accessId: txId, readableUntil: auth.now + ACCESS_TICKET_TTL_MS });
    });
  }

  /** Returns the sealed record and the reader's key wrap, given a committed access record. */
  @Transaction(false)
  @Returns('string')
  Read(ctx: Context, envelope: string): Promise<string> {
    return this.#guard(ctx, 'Read', async (state) => {
      const auth = await authenticate(ctx, state, envelope, 'read', { consumeNonce: false });
      const { recordId, accessId } = auth.request.body;
      const { record, keyWrap } = await this.#ownerOrGrantee(state, auth, recordId);
      const ticket = await state.read(KEY.access, [recordId, auth.request.keyId, accessId], parseAccessTicket);
      if (!ticket) throw fail('ACCESS_NOT_RECORDED', 'no committed view of this record by this key has that access id');
      if (auth.now - ticket.at > ACCESS_TICKET_TTL_MS) throw fail('ACCESS_NOT_RECORDED', `the access record expired ${ACCESS_TICKET_TTL_MS} ms after its view`);
      const data = await state.read(KEY.recordData, [recordId], parseRecordData);
      if (!data) throw fail('INTERNAL', 'record data is missing');
      return this.#respond(ctx, auth, {
        recordId,
        accessId,
        ciphertext: data.ciphertext,
        contentHash: record.contentHash,
        keyWrap,
        metadata: { kind: record.metadata.kind, createdAt: record.metadata.createdAt },
        owner: record.owner,
        patientId: record.patientId,
      });
    });
  }

  @Transaction(false)
  @Returns('string')
  ListRecords(ctx: Context, envelope: string): Promise<string> {
    return this.#guard(ctx, 'ListRecords', (state) => this.#listOwn(ctx, state, envelope, 'list-records', KEY.ownerIndex, parseOwnerIndex));
  }

  @Transaction(false)
  @Returns('string')
  ListGrants(ctx: Context, envelope: string): Promise<string> {
    return this.#guard(ctx, 'ListGrants', (state) => this.#listOwn(ctx, state, envelope, 'list-grants', KEY.granteeIndex, parseGranteeIndex));
  }

  /** The owner reads every access to their record, oldest first. */
  @Transaction(false)
  @Returns('string')
  Audit(ctx: Context, envelope: string): Promise<string> {
    return this.#guard(ctx, 'Audit', async (state) => {
      const auth = await authenticate(ctx, state, envelope, 'audit', { consumeNonce: false });
      const { recordId, pageSize, bookmark } = auth.request.body;
      await this.#ownerOnly(state, auth, recordId);
      const page = await state.page(KEY.audit, [recordId], pageSize, bookmark, parseAudit);
      return this.#respond(ctx, auth, page);
    });
  }

  /** An admin of the organization where a record was uploaded reads its audit trail (no data). */
  @Transaction(false)
  @Returns('string')
  AdminAuditTrail(ctx: Context, recordId: string, pageSize: string, bookmark: string): Promise<string> {
    return this.#guard(ctx, 'AdminAuditTrail', async (state) => {
      expectString(recordId, 'recordId', { pattern: HEX64 });
      const size = expectInteger(Number(expectString(pageSize, 'pageSize', { pattern: /^[0-9]{1,3}$/ })), 'pageSize', 1, 100);
      const record = await state.requireRecord(recordId);
      assertOrgAdmin(ctx.clientIdentity, record.org);
      return canonicalize(await state.page(KEY.audit, [recordId], size, bookmark, parseAudit));
    });
  }

  // ---- helpers ----------------------------------------------------------------------------

  /** One page of the author's own index (records owned, or grants received), sig1 by the author. */
  async #listOwn(
    ctx: Context,
    state: LedgerState,
    envelope: string,
    op: 'list-records' | 'list-grants',
    index: typeof KEY.ownerIndex | typeof KEY.granteeIndex,
    parse: (value: unknown) => JsonValue,
  ): Promise<string> {
    const auth = await authenticate(ctx, state, envelope, op, { consumeNonce: false });
    const author = await this.#requireUser(state, auth.request.keyId);
    assertSig1(author.publicKey, auth.envelope, 'the author');
    const { pageSize, bookmark } = auth.request.body;
    return this.#respond(ctx, auth, await state.page(index, [author.keyId], pageSize, bookmark, parse));
  }

  async #requireUser(state: LedgerState, keyId: string): Promise<UserState> {
    const user = await state.user(keyId);
    if (!user) throw fail('NOT_REGISTERED', `key ${keyId} is not registered`);
    return user;
  }

  /** Grant, revoke, audit: the request must name the owner and carry the owner's sig1. */
  async #ownerOnly(state: LedgerState, auth: Authenticated<Operation>, recordId: string): Promise<RecordState> {
    const record = await state.requireRecord(recordId);
    if (auth.request.keyId !== record.owner) throw fail('NOT_OWNER', 'request.keyId is not the owner of the record');
    const owner = await this.#requireUser(state, record.owner);
    assertSig1(owner.publicKey, auth.envelope, 'the record owner');
    return record;
  }

  /**
   * View and read: the request names its author's key id, so finding the target key is one
   * lookup (owner, or the grant under that key id) and one SM2 verification, whatever the
   * number of grantees.
   */
  async #ownerOrGrantee(state: LedgerState, auth: Authenticated<Operation>, recordId: string): Promise<{ record: RecordState; keyWrap: string }> {
    const record = await state.requireRecord(recordId);
    const keyId = auth.request.keyId;
    let keyWrap = record.ownerKeyWrap;
    if (keyId !== record.owner) {
      const grant = await state.grant(recordId, keyId);
      if (!grant) throw fail('NOT_AUTHORIZED', 'request.keyId is neither the owner nor a current grantee of the record');
      keyWrap = grant.keyWrap;
    }
    const author = await this.#requireUser(state, keyId);
    if (author.status !== 'active') throw fail('NOT_APPROVED', 'the author is not approved');
    assertSig1(author.publicKey, auth.envelope, keyId === record.owner ? 'the record owner' : 'the grantee');
    return { record, keyWrap };
  }

  async #audit(
    ctx: Context,
    state: LedgerState,
    auth: Authenticated<Operation>,
    recordId: string,
    action: AuditAction,
    subjectKeyId?: string,
  ): Promise<AuditState> {
    const txId = ctx.stub.getTxID();
    const entry: AuditState = {
      recordId,
      action,
      actorKeyId: auth.request.keyId,
      ...(subjectKeyId === undefined ? {} : { subjectKeyId }),
      at: auth.now,
      txId,
      appId: auth.request.appId,
      org: auth.org,
      requestHash: auth.requestHash,
    };
    await state.write(KEY.audit, [recordId, sortableTime(auth.now), txId], entry);
    return entry;
  }

  /**
   * The access notification of an audited transaction (the transaction's one chaincode event,
   * visible once committed): the audit entry's ids, action, org and time, plus the owner it is
   * for. No data, no appId or request hash: nothing the owner's audit trail does not already show.
   */
  #auditEvent(ctx: Context, owner: string, entry: AuditState): void {
    const event: AuditEvent = {
      v: 1,
      action: entry.action,
      recordId: entry.recordId,
      owner,
      actorKeyId: entry.actorKeyId,
      ...(entry.subjectKeyId === undefined ? {} : { subjectKeyId: entry.subjectKeyId }),
      org: entry.org,
      txId: entry.txId,
      at: entry.at,
    };
    ctx.stub.setEvent(AUDIT_EVENT_NAME, Buffer.from(marshal(event)));
  }

  #event(ctx: Context, name: string, payload: Record<string, string>): void {
    ctx.stub.setEvent(name, Buffer.from(marshal({ ...payload, txId: ctx.stub.getTxID() })));
  }

  /** sig4: the deterministic K4 signature over the canonical response (RFC 6979 with HMAC-SM3). */
  #respond(ctx: Context, auth: Authenticated<Operation>, result: JsonValue): string {
    const k4 = this.#k4;
    if (!k4) throw fail('INTERNAL', 'the contract key K4 is not configured (MEDSHARE_K4_KEY_FILE)');
    const response: ContractResponse = {
      v: 1,
      op: auth.request.op,
      requestHash: auth.requestHash,
      txId: ctx.stub.getTxID(),
      at: txTimeMs(ctx),
      k4Id: k4.keyId,
      result,
    };
    return canonicalize({ response, sig4: signDeterministicFor('sig4', k4, response) });
  }

  /**
   * The contract's one error boundary: coded errors pass through with their code as the message
   * prefix (the gateway reads it from the endorsement error); anything else is logged here and
   * becomes a generic INTERNAL error that reveals nothing.
   */
  async #guard(ctx: Context, name: string, run: (state: LedgerState) => Promise<string>): Promise<string> {
    try {
      return await run(new LedgerState(ctx));
    } catch (error) {
      const logger = ctx.logging.getLogger('medshare');
      if (error instanceof MedshareError) {
        logger.info(`${name} rejected: ${error.code} (tx ${ctx.stub.getTxID()})`);
        throw error;
      }
      logger.error(`${name} failed (tx ${ctx.stub.getTxID()}): ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      throw fail('INTERNAL', `internal error in ${name} (tx ${ctx.stub.getTxID()})`);
    }
  }
}
