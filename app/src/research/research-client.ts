// SPDX-License-Identifier: Apache-2.0
/**
 * The research calls as each party makes them (README "Research"; docs/protocol.md §19), on top
 * of MedshareClient's operations: the patient's profile, a warrant that opens the record, derives
 * the study's extract and sends it sealed, an anonymous contribution in a ring the app chooses,
 * its withdrawal; the institution's export under k-anonymity.
 */
import {
  fail,
  type ContributeResult,
  type ExtractContent,
  type ProfileContent,
  type ProfileUpdateResult,
  type ReleasedValue,
  type StudyResult,
  type UnwarrantResult,
  type WarrantResult,
  type WithdrawResult,
} from '@medshare/protocol';
import type { MedshareClient, UserKey } from '../client/medshare-client';
import { buildDataset, type Dataset, type SealedEntry } from './dataset';
import type { DatasetFormat } from './dataset-formats';
import { deriveExtract, encodeExtract } from './extract';
import { decodeProfile, encodeProfile } from './profile';
import { readRecordSource } from './record-source';
import { chooseRing, type RingChoiceOptions } from './ring-members';

/** A record to derive an extract from: one on the ledger (opened by an audited view), or its plaintext already at hand. */
export type RecordRef = { readonly recordId: string } | { readonly content: Uint8Array };

export interface ResearchOptions {
  /**
   * A fresh client for each anonymous request (a new session and connection), so the gateway
   * cannot join it to the author's identified requests by session. Default: the same client.
   */
  readonly anonymousClient?: () => MedshareClient;
  /** Access-list pages of 100 read at most by an export (default 1000). */
  readonly maxExportPages?: number;
}

/** What an anonymous request did, and the ring it was signed in. */
export interface AnonymousOutcome {
  readonly ring: { readonly size: number; readonly eligible: number; readonly complete: boolean };
}

const EXPORT_PAGE = 100;

export class MedshareResearch {
  readonly #client: MedshareClient;
  readonly #options: ResearchOptions;

  constructor(client: MedshareClient, options: ResearchOptions = {}) {
    this.#client = client;
    this.#options = options;
  }

  // ---- the patient -------------------------------------------------------------------------

  setProfile(patient: UserKey, profile: ProfileContent): Promise<ProfileUpdateResult> {
    return this.#client.updateProfile(patient, encodeProfile(profile));
  }

  async profile(patient: UserKey): Promise<{ profile: ProfileContent; updatedAt: number }> {
    const { profile, updatedAt } = await this.#client.getProfile(patient);
    return { profile: decodeProfile(profile), updatedAt };
  }

  /** The study, refused with STUDY_CLOSED before anything of a record is read when it takes nothing new. */
  async #openStudy(user: UserKey, studyId: string): Promise<StudyResult> {
    const study = await this.#client.getStudy(user, studyId);
    if (!study.open) throw fail('STUDY_CLOSED', `study ${studyId} takes no new warrants or contributions`);
    return study;
  }

  /** The extract of a record for a study, as the institution would receive it (nothing is sent). */
  async extractOf(user: UserKey, record: RecordRef, study: StudyResult): Promise<ExtractContent> {
    const content = 'content' in record ? record.content : (await this.#client.view(user, record.recordId)).content;
    return deriveExtract(study.study, study.studyId, readRecordSource(content));
  }

  /**
   * Warrants the owner's record to a study: opens it (an audited view), derives the study's
   * extract, seals it for the study's institution and sends it. Returns what was released.
   * A non-owner (NOT_OWNER) and a second warrant (ALREADY_WARRANTED) are refused before the
   * record is opened, so a refused warrant leaves no view in the record's audit trail.
   */
  async warrant(
    owner: UserKey,
    recordId: string,
    studyId: string,
  ): Promise<WarrantResult & { released: Readonly<Record<string, ReleasedValue>> }> {
    const study = await this.#openStudy(owner, studyId);
    await this.#assertNotWarranted(owner, recordId, study);
    const extract = await this.extractOf(owner, { recordId }, study);
    const result = await this.#client.warrant(owner, {
      recordId,
      studyId,
      institutionKeyId: study.institutionKeyId,
      extract: encodeExtract(extract),
    });
    return { ...result, released: extract.values };
  }

  /** The owner's authorization list (NOT_OWNER, RECORD_NOT_FOUND) without this study's warrant; a list too long to answer is left to the contract. */
  async #assertNotWarranted(owner: UserKey, recordId: string, study: StudyResult): Promise<void> {
    const listed = await this.#client.recordAuthorizations(owner, recordId).catch((error: unknown) => {
      if ((error as { code?: unknown }).code === 'PAYLOAD_TOO_LARGE') return undefined;
      throw error;
    });
    const same = (w: { studyId: string; institutionKeyId: string }): boolean =>
      w.studyId === study.studyId && w.institutionKeyId === study.institutionKeyId;
    if (listed?.institutions.some(same))
      throw fail('ALREADY_WARRANTED', 'the record is already warranted to that institution for that study');
  }

  async unwarrant(owner: UserKey, recordId: string, studyId: string): Promise<UnwarrantResult> {
    const study = await this.#client.getStudy(owner, studyId);
    return this.#client.unwarrant(owner, { recordId, studyId, institutionKeyId: study.institutionKeyId });
  }

  /**
   * Contributes a record's extract to a study anonymously: sig1 is a ring signature among the
   * author and ring−1 other active patients (chooseRing). LINK_TAG_REUSED when the author already
   * has a live contribution there. A `recordId` is opened by an audited view first, which ledger
   * readers can time against the contribution: pass the `content` when the app has it.
   */
  async contributeAnonymously(
    author: UserKey,
    record: RecordRef,
    studyId: string,
    options: RingChoiceOptions = {},
  ): Promise<ContributeResult & AnonymousOutcome & { released: Readonly<Record<string, ReleasedValue>> }> {
    return this.#contribution('contribute', author, record, studyId, options);
  }

  /** Replaces the author's live contribution with another record's extract (CONTRIBUTION_NOT_FOUND if none). */
  replaceContribution(
    author: UserKey,
    record: RecordRef,
    studyId: string,
    options: RingChoiceOptions = {},
  ): Promise<ContributeResult & AnonymousOutcome & { released: Readonly<Record<string, ReleasedValue>> }> {
    return this.#contribution('replace', author, record, studyId, options);
  }

  /** Withdraws the author's contribution, signed in the same ring the contribution drew (same key image). */
  async withdraw(
    author: UserKey,
    studyId: string,
    options: RingChoiceOptions = {},
  ): Promise<WithdrawResult & AnonymousOutcome> {
    const ring = await this.#ring(author, studyId, options);
    const result = await this.#anonymously((c) => c.withdrawContribution(author, { studyId, ring: ring.members }));
    return { ...result, ring: { size: ring.members.length, eligible: ring.eligible, complete: ring.complete } };
  }

  async #contribution(
    kind: 'contribute' | 'replace',
    author: UserKey,
    record: RecordRef,
    studyId: string,
    options: RingChoiceOptions,
  ): Promise<ContributeResult & AnonymousOutcome & { released: Readonly<Record<string, ReleasedValue>> }> {
    const study = await this.#openStudy(author, studyId);
    const extract = await this.extractOf(author, record, study);
    const ring = await this.#ring(author, studyId, options);
    const contribution = {
      study: { studyId, institutionKeyId: study.institutionKeyId },
      ring: ring.members,
      extract: encodeExtract(extract),
    };
    const result = await this.#anonymously((c) =>
      kind === 'contribute' ? c.contribute(author, contribution) : c.replaceContribution(author, contribution),
    );
    return {
      ...result,
      ring: { size: ring.members.length, eligible: ring.eligible, complete: ring.complete },
      released: extract.values,
    };
  }

  #ring(author: UserKey, studyId: string, options: RingChoiceOptions): ReturnType<typeof chooseRing> {
    return chooseRing(author, studyId, (page) => this.#client.listPatients(author, page), options);
  }

  async #anonymously<T>(call: (client: MedshareClient) => Promise<T>): Promise<T> {
    const fresh = this.#options.anonymousClient?.();
    try {
      return await call(fresh ?? this.#client);
    } finally {
      fresh?.close();
    }
  }

  // ---- the institution ---------------------------------------------------------------------

  /**
   * Exports the study's dataset: every page of the access list (each read is audited), opened,
   * checked, k-anonymized and written in `format`. ACCESS_LIST_FORBIDDEN for anyone but the
   * study's institution. The report and the rejections are beside the content, not in it.
   */
  async exportDataset(institution: UserKey, studyId: string, format: DatasetFormat): Promise<Dataset> {
    const study = await this.#client.getStudy(institution, studyId);
    const entries: SealedEntry[] = [];
    const maxPages = this.#options.maxExportPages ?? 1000;
    let bookmark = '';
    for (let page = 0; ; page++) {
      if (page === maxPages)
        throw fail('PAYLOAD_TOO_LARGE', `the access list has more than ${maxPages * EXPORT_PAGE} entries`);
      const read = await this.#client.readAccessList(institution, studyId, { pageSize: EXPORT_PAGE, bookmark });
      entries.push(...read.entries);
      bookmark = read.bookmark;
      if (bookmark === '') break;
    }
    return buildDataset(study.study, studyId, entries, institution, format);
  }
}
