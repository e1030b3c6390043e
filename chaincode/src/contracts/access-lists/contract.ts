// SPDX-License-Identifier: Apache-2.0
import { toHex, utf8 } from '@medshare/crypto/bytes';
import { sm3 } from '@medshare/crypto/sm3';
import {
  completeStudy,
  contributionEntryId,
  fail,
  STUDY_ID_LABEL,
  type AccessEntry,
  type RingOperation,
  type StudyResult,
} from '@medshare/protocol';
import { Info, Returns, Transaction } from 'fabric-contract-api';
import { recordAccess } from '../../audit-log/audit-log';
import { adminStudyTrailPage, studyAccess } from '../../audit-log/study-audit';
import { assertSig1, authenticate, type Authenticated } from '../../signature-chain/authenticate';
import { respond } from '../../signature-chain/respond';
import { MedshareBaseContract, type MedshareContractOptions } from '../base-contract';
// A value import: the decorators read the context's class from the parameter types.
import { MedshareContext } from '../context';
import { records } from '../records/tables';
import { activeAuthor, requireInstitution } from '../registry/rules';
import type { AccessEntryState, StudyState } from './model';
import { assertStudyOpen, requireStudy, studyIsOpen } from './rules';
import { accessEntries, studies } from './tables';

/** A study as GetStudy and ListStudies answer it, `open` at the answer's time. */
function studyResult(study: StudyState, now: number): StudyResult {
  return { ...study, open: studyIsOpen(study, now) };
}

/** What the institution gets of an entry: never the record id or the link tag. */
function entryResult(entry: AccessEntryState): AccessEntry {
  const { entryId, kind, extract, extractKeyWrap, addedAt } = entry;
  return { entryId, kind, extract, extractKeyWrap, addedAt };
}

/** The link tag's entry in the ring's study: the ring actor was verified by authenticate. */
function contributionKey(auth: Authenticated<RingOperation>): { studyId: string; entryId: string } {
  const { studyId } = auth.request.body;
  return { studyId, entryId: contributionEntryId(auth.request.ring.keyImage, studyId) };
}

@Info({
  title: 'access-lists',
  description:
    "medshare research: institutions' studies and their access lists (warranted records' and anonymous contributions' sealed extracts), read by the study's institution only",
})
export class AccessListsContract extends MedshareBaseContract {
  constructor(options: MedshareContractOptions = {}) {
    super('access-lists', options);
  }

  /** An approved institution publishes a study; its definition was checked when the request was parsed. */
  @Transaction()
  @Returns('string')
  async PublishStudy(ctx: MedshareContext, envelope: string): Promise<string> {
    const { state } = ctx;
    const auth = await authenticate(ctx, state, envelope, 'study-publish', { consumeNonce: true });
    const institution = await requireInstitution(state, auth.request.keyId, 'the author');
    assertSig1(institution.publicKey, auth.envelope, 'the institution');
    const studyId = toHex(sm3(utf8(`${STUDY_ID_LABEL}${ctx.stub.getTxID()}`)));
    const study: StudyState = {
      studyId,
      institutionKeyId: auth.request.keyId,
      study: completeStudy(auth.request.body.study),
      publishedAt: auth.now,
    };
    await studies.put(state, { studyId }, study);
    await studyAccess(ctx, state, auth, { studyId, action: 'study-publish' });
    return respond(ctx, this.contractKey, auth, {
      studyId,
      institutionKeyId: study.institutionKeyId,
      publishedAt: auth.now,
    });
  }

  @Transaction(false)
  @Returns('string')
  async GetStudy(ctx: MedshareContext, envelope: string): Promise<string> {
    const { state } = ctx;
    const auth = await authenticate(ctx, state, envelope, 'study-get', { consumeNonce: false });
    await activeAuthor(state, auth);
    const study = await requireStudy(state, auth.request.body.studyId);
    return respond(ctx, this.contractKey, auth, studyResult(study, auth.now));
  }

  @Transaction(false)
  @Returns('string')
  async ListStudies(ctx: MedshareContext, envelope: string): Promise<string> {
    const { state } = ctx;
    const auth = await authenticate(ctx, state, envelope, 'study-list', { consumeNonce: false });
    await activeAuthor(state, auth);
    const { pageSize, bookmark } = auth.request.body;
    const page = await studies.page(state, {}, pageSize, bookmark);
    return respond(ctx, this.contractKey, auth, {
      studies: page.items.map((study) => studyResult(study, auth.now)),
      bookmark: page.bookmark,
    });
  }

  /**
   * GetData: one page of the study's access list, for the study's institution only. Submitted,
   * because it audits: one entry in each returned warranted record's trail ("institution X read
   * the extract of record R for study S") and one in the study's trail for the page (which covers
   * the anonymous contributions). The extracts are sealed for the institution and already on the
   * ledger; the answer names no record and no link tag.
   */
  @Transaction()
  @Returns('string')
  async GetData(ctx: MedshareContext, envelope: string): Promise<string> {
    const { state } = ctx;
    const auth = await authenticate(ctx, state, envelope, 'access-list-read', { consumeNonce: true });
    const { studyId, pageSize, bookmark } = auth.request.body;
    const study = await requireStudy(state, studyId);
    if (auth.request.keyId !== study.institutionKeyId)
      throw fail('ACCESS_LIST_FORBIDDEN', "request.keyId is not the study's institution");
    await activeAuthor(state, auth);
    const page = await accessEntries.scanPage(state, { studyId }, pageSize, bookmark);
    for (const entry of page.items) {
      if (entry.recordId === undefined) continue;
      const record = await records.get(state, { recordId: entry.recordId });
      if (!record) throw fail('INTERNAL', `the warranted record of access entry ${entry.entryId} is missing`);
      await recordAccess(
        ctx,
        state,
        auth,
        { recordId: record.recordId, owner: record.owner, action: 'extract-read', studyId },
        { event: false },
      );
    }
    await studyAccess(ctx, state, auth, { studyId, action: 'study-read', entries: page.items.length });
    return respond(ctx, this.contractKey, auth, { entries: page.items.map(entryResult), bookmark: page.bookmark });
  }

  /**
   * An anonymous contribution (sig1 a ring signature, verified by authenticate): one per link tag
   * and study (LINK_TAG_REUSED while it stands; withdraw or replace it with the same tag).
   */
  @Transaction()
  @Returns('string')
  async Contribute(ctx: MedshareContext, envelope: string): Promise<string> {
    const { state } = ctx;
    const auth = await authenticate(ctx, state, envelope, 'contribute', { consumeNonce: true });
    const { studyId, extract, extractKeyWrap } = auth.request.body;
    assertStudyOpen(await requireStudy(state, studyId), auth.now);
    const key = contributionKey(auth);
    if (await accessEntries.exists(state, key))
      throw fail('LINK_TAG_REUSED', 'this link tag already has a contribution in the study: withdraw or replace it');
    const { keyImage } = auth.request.ring;
    await accessEntries.put(state, key, {
      entryId: key.entryId,
      kind: 'contribution',
      extract,
      extractKeyWrap,
      addedAt: auth.now,
      keyImage,
    });
    await studyAccess(ctx, state, auth, { studyId, action: 'contribute' });
    return respond(ctx, this.contractKey, auth, { studyId, keyImage, entryId: key.entryId, contributedAt: auth.now });
  }

  /** Withdraws the link tag's contribution (also after the study closed): the next GetData lacks it. */
  @Transaction()
  @Returns('string')
  async WithdrawContribution(ctx: MedshareContext, envelope: string): Promise<string> {
    const { state } = ctx;
    const auth = await authenticate(ctx, state, envelope, 'contribution-withdraw', { consumeNonce: true });
    const { studyId } = auth.request.body;
    await requireStudy(state, studyId);
    const key = contributionKey(auth);
    const entry = await accessEntries.get(state, key);
    if (!entry) throw fail('CONTRIBUTION_NOT_FOUND', 'this link tag has no contribution in the study');
    await accessEntries.delete(state, key, entry);
    await studyAccess(ctx, state, auth, { studyId, action: 'contribution-withdraw' });
    return respond(ctx, this.contractKey, auth, {
      studyId,
      keyImage: auth.request.ring.keyImage,
      withdrawnAt: auth.now,
    });
  }

  /** Replaces the link tag's contribution with a new extract, in an open study. */
  @Transaction()
  @Returns('string')
  async ReplaceContribution(ctx: MedshareContext, envelope: string): Promise<string> {
    const { state } = ctx;
    const auth = await authenticate(ctx, state, envelope, 'contribution-replace', { consumeNonce: true });
    const { studyId, extract, extractKeyWrap } = auth.request.body;
    assertStudyOpen(await requireStudy(state, studyId), auth.now);
    const key = contributionKey(auth);
    const entry = await accessEntries.get(state, key);
    if (!entry) throw fail('CONTRIBUTION_NOT_FOUND', 'this link tag has no contribution in the study');
    await accessEntries.replace(state, key, entry, { ...entry, extract, extractKeyWrap, addedAt: auth.now });
    await studyAccess(ctx, state, auth, { studyId, action: 'contribution-replace' });
    return respond(ctx, this.contractKey, auth, {
      studyId,
      keyImage: auth.request.ring.keyImage,
      entryId: key.entryId,
      contributedAt: auth.now,
    });
  }

  /** An admin of the study's institution's organization reads the study's audit trail (no data). */
  @Transaction(false)
  @Returns('string')
  AdminStudyTrail(ctx: MedshareContext, studyId: string, pageSize: string, bookmark: string): Promise<string> {
    return adminStudyTrailPage(
      ctx,
      { studyId, pageSize, bookmark },
      async (state, id) => (await requireStudy(state, id)).institutionKeyId,
    );
  }
}
