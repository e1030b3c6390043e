// SPDX-License-Identifier: Apache-2.0
import { fromBase64, toHex, utf8 } from '@medshare/crypto/bytes';
import { SEALED_OVERHEAD } from '@medshare/crypto/sealed-box';
import { sm3 } from '@medshare/crypto/sm3';
import {
  actorKey,
  decodeInput,
  fail,
  MAX_AUTHORIZATIONS,
  MAX_RECORD_BYTES,
  RECORD_LABEL,
  warrantEntryId,
} from '@medshare/protocol';
import { Info, Returns, Transaction } from 'fabric-contract-api';
import { recordAccess } from '../../audit-log/audit-log';
import { assertEnvironment } from '../../environment/environment';
import { assertSig1, authenticate, type Authenticated } from '../../signature-chain/authenticate';
import { respond } from '../../signature-chain/respond';
import type { RecordState } from '../../state/model';
import { MedshareBaseContract, type MedshareContractOptions } from '../base-contract';
// A value import: the decorators read the context's class from the parameter types.
import { MedshareContext } from '../context';
import { ownPage } from '../own-page';
import { accessEntries } from '../access-lists/tables';
import { assertStudyOpen, requireStudy } from '../access-lists/rules';
import { requireInstitution } from '../registry/rules';
import { patientRecords, pseudonyms, requireUser } from '../registry/tables';
import { sortableTime } from '../../state/keys';
import { assertKeywordAttestation } from './keyword-attestation';
import { ACCESS_TICKET_TTL_MS, ownerOnly, ownerOrGrantee, sameUpload } from './rules';
import { accessTickets, granteeIndex, grants, ownerIndex, recordData, records, uploadKeys, warrants } from './tables';

@Info({
  title: 'records',
  description:
    'medshare records: sealed uploads, per-record authorization lists of doctors and institutions, audit-first access',
})
export class RecordsContract extends MedshareBaseContract {
  constructor(options: MedshareContractOptions = {}) {
    super('records', options);
  }

  /**
   * Uploads a sealed record. With `body.idempotencyKey`, the key is stored under the owner in the
   * same transaction as the record; a later upload by the same owner with the same key and the
   * same content returns the first record (`replayed: true`) and writes nothing, so a client
   * that did not learn the first one's outcome can retry safely.
   */
  @Transaction()
  @Returns('string')
  async Upload(ctx: MedshareContext, envelope: string): Promise<string> {
    const { state } = ctx;
    const auth = await authenticate(ctx, state, envelope, 'upload', { consumeNonce: true, writeNonceLater: true });
    const { body } = auth.request;
    const patient = await pseudonyms.get(state, { role: 'patient', pseudonym: body.patientId });
    if (!patient) throw fail('NOT_REGISTERED_PATIENT', 'no registered patient has request.body.patientId');
    if (patient.keyId !== auth.request.keyId)
      throw fail('NOT_OWNER', 'request.keyId is not the key of the patient the record names');
    const owner = await requireUser(state, patient.keyId);
    assertSig1(owner.publicKey, auth.envelope, 'the patient the record names');
    const sealed = decodeInput('request.body.ciphertext is not canonical base64', () =>
      fromBase64(body.ciphertext, 'request.body.ciphertext'),
    );
    if (sealed.length < SEALED_OVERHEAD || sealed.length > MAX_RECORD_BYTES) {
      throw fail('INVALID_INPUT', `request.body.ciphertext must be ${SEALED_OVERHEAD}..${MAX_RECORD_BYTES} bytes`);
    }
    if (toHex(sm3(sealed)) !== body.contentHash)
      throw fail('INVALID_INPUT', 'request.body.contentHash is not SM3 of the ciphertext');
    if (body.keywordAttestation !== undefined)
      await assertKeywordAttestation(state, owner.keyId, body.keywordAttestation, 'request.body.keywordAttestation');
    if (body.idempotencyKey !== undefined) {
      const earlier = await uploadKeys.get(state, { ownerKeyId: owner.keyId, idempotencyKey: body.idempotencyKey });
      if (earlier) return this.#replayUpload(ctx, auth, earlier.recordId);
    }
    await auth.writeNonce();
    const recordId = toHex(sm3(utf8(`${RECORD_LABEL}${ctx.stub.getTxID()}`)));
    const record: RecordState = {
      recordId,
      owner: owner.keyId,
      patientId: body.patientId,
      org: auth.org,
      contentHash: body.contentHash,
      ownerKeyWrap: body.ownerKeyWrap,
      metadata: body.metadata,
      uploadedAt: auth.now,
      ...(body.keywordAttestation === undefined ? {} : { keywordAttestation: body.keywordAttestation }),
    };
    await records.put(state, { recordId }, record);
    await recordData.put(state, { recordId }, { ciphertext: body.ciphertext });
    await patientRecords.put(
      state,
      { patientKeyId: owner.keyId, uploadedAt: sortableTime(auth.now), recordId },
      { recordId, kind: body.metadata.kind, uploadedAt: auth.now },
    );
    if (body.idempotencyKey !== undefined)
      await uploadKeys.put(state, { ownerKeyId: owner.keyId, idempotencyKey: body.idempotencyKey }, { recordId });
    await recordAccess(ctx, state, auth, { recordId, owner: owner.keyId, action: 'upload' });
    return respond(ctx, this.contractKey, auth, { recordId, contentHash: body.contentHash, uploadedAt: auth.now });
  }

  /**
   * The answer to an upload whose idempotency key its owner already used: the earlier record,
   * if the request is the same upload (same patient, sealed content, key wrap, metadata and keyword
   * attestation).
   * Nothing is written, not even the nonce: the transaction commits with an empty write set.
   */
  async #replayUpload(ctx: MedshareContext, auth: Authenticated<'upload'>, recordId: string): Promise<string> {
    const record = await records.get(ctx.state, { recordId });
    if (!record) throw fail('INTERNAL', 'the record of an idempotency key is missing');
    if (!sameUpload(record, auth.request.body))
      throw fail(
        'IDEMPOTENCY_KEY_REUSED',
        'request.body.idempotencyKey was already used by this owner for an upload with other content',
      );
    return respond(ctx, this.contractKey, auth, {
      recordId,
      contentHash: record.contentHash,
      uploadedAt: record.uploadedAt,
      replayed: true,
    });
  }

  @Transaction()
  @Returns('string')
  async Grant(ctx: MedshareContext, envelope: string): Promise<string> {
    const { state } = ctx;
    const auth = await authenticate(ctx, state, envelope, 'grant', { consumeNonce: true });
    const { recordId, granteeKeyId, keyWrap } = auth.request.body;
    const record = await ownerOnly(state, auth, recordId);
    if (granteeKeyId === record.owner) throw fail('INVALID_INPUT', 'the owner cannot be a grantee of their own record');
    // The grantee must be a registered, approved doctor or institution: the receiver check.
    await assertEnvironment(state, auth, { holder: record.owner, receiver: granteeKeyId });
    await grants.put(state, { recordId, granteeKeyId }, { recordId, granteeKeyId, keyWrap, grantedAt: auth.now });
    await recordAccess(ctx, state, auth, {
      recordId,
      owner: record.owner,
      action: 'grant',
      subjectKeyId: granteeKeyId,
    });
    return respond(ctx, this.contractKey, auth, { recordId, granteeKeyId, grantedAt: auth.now });
  }

  @Transaction()
  @Returns('string')
  async Revoke(ctx: MedshareContext, envelope: string): Promise<string> {
    const { state } = ctx;
    const auth = await authenticate(ctx, state, envelope, 'revoke', { consumeNonce: true });
    const { recordId, granteeKeyId } = auth.request.body;
    const record = await ownerOnly(state, auth, recordId);
    const grant = await grants.get(state, { recordId, granteeKeyId });
    if (!grant) throw fail('GRANT_NOT_FOUND', 'no grant of that record to that key');
    await grants.delete(state, { recordId, granteeKeyId }, grant);
    await recordAccess(ctx, state, auth, {
      recordId,
      owner: record.owner,
      action: 'revoke',
      subjectKeyId: granteeKeyId,
    });
    return respond(ctx, this.contractKey, auth, { recordId, granteeKeyId, revokedAt: auth.now });
  }

  /**
   * Audit-first access (claims 4, 5): commits who viewed what, when and under which request, and
   * returns an access id. The data itself is returned only by {@link Read}, an evaluation, so it
   * never enters a block.
   */
  @Transaction()
  @Returns('string')
  async View(ctx: MedshareContext, envelope: string): Promise<string> {
    const { state } = ctx;
    const auth = await authenticate(ctx, state, envelope, 'view', { consumeNonce: true });
    const { recordId } = auth.request.body;
    const { record } = await ownerOrGrantee(state, auth, recordId);
    const txId = ctx.stub.getTxID();
    await accessTickets.put(state, { recordId, actor: actorKey(auth.actor), txId }, { at: auth.now, txId });
    await recordAccess(ctx, state, auth, { recordId, owner: record.owner, action: 'view' });
    return respond(ctx, this.contractKey, auth, {
      recordId,
      accessId: txId,
      readableUntil: auth.now + ACCESS_TICKET_TTL_MS,
    });
  }

  /** Returns the sealed record and the reader's key wrap, given a committed access record. */
  @Transaction(false)
  @Returns('string')
  async Read(ctx: MedshareContext, envelope: string): Promise<string> {
    const { state } = ctx;
    const auth = await authenticate(ctx, state, envelope, 'read', { consumeNonce: false });
    const { recordId, accessId } = auth.request.body;
    const { record, keyWrap } = await ownerOrGrantee(state, auth, recordId);
    const ticket = await accessTickets.get(state, { recordId, actor: actorKey(auth.actor), txId: accessId });
    if (!ticket) throw fail('ACCESS_NOT_RECORDED', 'no committed view of this record by this key has that access id');
    if (auth.now - ticket.at > ACCESS_TICKET_TTL_MS)
      throw fail('ACCESS_NOT_RECORDED', `the access record expired ${ACCESS_TICKET_TTL_MS} ms after its view`);
    const data = await recordData.get(state, { recordId });
    if (!data) throw fail('INTERNAL', 'record data is missing');
    return respond(ctx, this.contractKey, auth, {
      recordId,
      accessId,
      ciphertext: data.ciphertext,
      contentHash: record.contentHash,
      keyWrap,
      metadata: { kind: record.metadata.kind, createdAt: record.metadata.createdAt },
      owner: record.owner,
      patientId: record.patientId,
    });
  }

  @Transaction(false)
  @Returns('string')
  ListRecords(ctx: MedshareContext, envelope: string): Promise<string> {
    return ownPage(ctx, this.contractKey, envelope, 'list-records', (state, keyId, size, bookmark) =>
      ownerIndex.page(state, { ownerKeyId: keyId }, size, bookmark),
    );
  }

  @Transaction(false)
  @Returns('string')
  ListGrants(ctx: MedshareContext, envelope: string): Promise<string> {
    return ownPage(ctx, this.contractKey, envelope, 'list-grants', (state, keyId, size, bookmark) =>
      granteeIndex.page(state, { granteeKeyId: keyId }, size, bookmark),
    );
  }

  /**
   * The owner warrants the record to an approved institution's open study, with the extract sealed
   * for it: the record's authorization row and the study's access-list entry, in one transaction.
   * Checks in order (docs/protocol.md §19.2): the record, its owner and sig1, the institution, the
   * study, that it is the institution's and open, and no warrant yet.
   */
  @Transaction()
  @Returns('string')
  async Warrant(ctx: MedshareContext, envelope: string): Promise<string> {
    const { state } = ctx;
    const auth = await authenticate(ctx, state, envelope, 'warrant', { consumeNonce: true });
    const { recordId, studyId, institutionKeyId, extract, extractKeyWrap } = auth.request.body;
    const record = await ownerOnly(state, auth, recordId);
    // The environment of a share (§7.6: app version, holder); the institution is checked next.
    await assertEnvironment(state, auth, { holder: record.owner });
    await requireInstitution(state, institutionKeyId, 'request.body.institutionKeyId');
    const study = await requireStudy(state, studyId);
    if (study.institutionKeyId !== institutionKeyId)
      throw fail('INVALID_INPUT', 'request.body.institutionKeyId is not the institution of request.body.studyId');
    assertStudyOpen(study, auth.now);
    const key = { recordId, institutionKeyId, studyId };
    if (await warrants.exists(state, key))
      throw fail('ALREADY_WARRANTED', 'the record is already warranted to that institution for that study');
    const entryId = warrantEntryId(recordId, studyId);
    await warrants.put(state, key, { recordId, institutionKeyId, studyId, entryId, warrantedAt: auth.now });
    await accessEntries.put(
      state,
      { studyId, entryId },
      { entryId, kind: 'warrant', extract, extractKeyWrap, addedAt: auth.now, recordId },
    );
    await recordAccess(ctx, state, auth, {
      recordId,
      owner: record.owner,
      action: 'warrant',
      subjectKeyId: institutionKeyId,
      studyId,
    });
    return respond(ctx, this.contractKey, auth, {
      recordId,
      studyId,
      institutionKeyId,
      entryId,
      warrantedAt: auth.now,
    });
  }

  /** The owner removes a warrant: the row and the access-list entry go in the same transaction. */
  @Transaction()
  @Returns('string')
  async Unwarrant(ctx: MedshareContext, envelope: string): Promise<string> {
    const { state } = ctx;
    const auth = await authenticate(ctx, state, envelope, 'unwarrant', { consumeNonce: true });
    const { recordId, studyId, institutionKeyId } = auth.request.body;
    const record = await ownerOnly(state, auth, recordId);
    const key = { recordId, institutionKeyId, studyId };
    const warrant = await warrants.get(state, key);
    if (!warrant) throw fail('NOT_WARRANTED', 'the record is not warranted to that institution for that study');
    await warrants.delete(state, key, warrant);
    const entry = await accessEntries.get(state, { studyId, entryId: warrant.entryId });
    if (entry) await accessEntries.delete(state, { studyId, entryId: warrant.entryId }, entry);
    await recordAccess(ctx, state, auth, {
      recordId,
      owner: record.owner,
      action: 'unwarrant',
      subjectKeyId: institutionKeyId,
      studyId,
    });
    return respond(ctx, this.contractKey, auth, { recordId, studyId, institutionKeyId, unwarrantedAt: auth.now });
  }

  /** The record's authorization list: the doctors (and institutions) granted it, the institutions' warrants. Owner only. */
  @Transaction(false)
  @Returns('string')
  async ListAuthorizations(ctx: MedshareContext, envelope: string): Promise<string> {
    const { state } = ctx;
    const auth = await authenticate(ctx, state, envelope, 'record-authorizations', { consumeNonce: false });
    const { recordId } = auth.request.body;
    await ownerOnly(state, auth, recordId);
    // An evaluation: paginated reads of at most one row past the bound, never the whole list.
    const granted = (await grants.page(state, { recordId }, MAX_AUTHORIZATIONS + 1, '')).items;
    const warranted = (await warrants.page(state, { recordId }, MAX_AUTHORIZATIONS + 1, '')).items;
    if (granted.length > MAX_AUTHORIZATIONS || warranted.length > MAX_AUTHORIZATIONS)
      throw fail('PAYLOAD_TOO_LARGE', `the record has more than ${MAX_AUTHORIZATIONS} authorizations of one kind`);
    return respond(ctx, this.contractKey, auth, {
      doctors: granted.map((g) => ({ granteeKeyId: g.granteeKeyId, grantedAt: g.grantedAt })),
      institutions: warranted.map((w) => ({
        institutionKeyId: w.institutionKeyId,
        studyId: w.studyId,
        warrantedAt: w.warrantedAt,
      })),
    });
  }
}
