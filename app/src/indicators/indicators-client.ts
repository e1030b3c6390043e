// SPDX-License-Identifier: Apache-2.0
/**
 * The daily-indicator calls as each party makes them (README "Daily indicators"; docs/protocol.md
 * §21), on top of MedshareClient's wire calls: the doctor attests a keyword; the patient uploads
 * the attested record, keeps the opening and the daily readings in their sealed store, joins a
 * study with a zero-knowledge keyword match, submits encrypted, range-proven readings and leaves;
 * the institution makes a study key, publishes, and reads and decrypts the aggregates and the
 * k-suppressed pseudonymous series.
 */
import {
  dayOf,
  fail,
  INDICATOR_MAX_PARTICIPANTS,
  keyIdOf,
  parseIndicatorStudyInput,
  type IndicatorJoinResult,
  type IndicatorLeaveResult,
  type IndicatorSeriesItem,
  type IndicatorStudyInput,
  type IndicatorStudyPublishResult,
  type IndicatorStudyResult,
  type IndicatorSubmitResult,
} from '@medshare/protocol';
import type { MedshareClient, RecordUpload, UploadResult, UserKey } from '../client/medshare-client';
import { attestKeyword, checkKeywordHandoff, type KeywordHandoff } from './keyword';
import { decryptAggregates, decryptSeries, exportSeries, type DecryptedAggregates } from './output';
import type { IndicatorExport, IndicatorExportFormat } from './output';
import { PatientStore, type DailyReadings, type Participation } from './patient-store';
import { buildSubmission, joinProof, matchingOpening } from './proofs';
import type { StudyKey } from './study-key';

export interface IndicatorsOptions {
  /** The folder of the patients' sealed stores (one file per patient key). */
  readonly storeDir: string;
  /** Series pages read at most by an export (default INDICATOR_MAX_PARTICIPANTS: a page holds 1 … 20 participants). */
  readonly maxSeriesPages?: number;
  readonly clock?: () => number;
}

const SERIES_PAGE = 20;

export class MedshareIndicators {
  readonly #client: MedshareClient;
  readonly #options: IndicatorsOptions;
  readonly #clock: () => number;

  constructor(client: MedshareClient, options: IndicatorsOptions) {
    this.#client = client;
    this.#options = options;
    this.#clock = options.clock ?? Date.now;
  }

  /** The patient's sealed store (openings, readings, studies). */
  store(patient: UserKey): PatientStore {
    return PatientStore.open(this.#options.storeDir, patient);
  }

  // ---- the doctor ------------------------------------------------------------------------

  /** Commits to the patient's diagnosis keyword and signs it (nothing is sent): hand the result to the patient. */
  attestKeyword(doctor: UserKey, input: { patientKeyId: string; keyword: string }): KeywordHandoff {
    return attestKeyword(doctor, input);
  }

  // ---- the patient -----------------------------------------------------------------------

  /**
   * Uploads a record with the doctor's keyword attestation: the handoff is checked first (this
   * patient's, opens to its keyword, signed by a registered doctor per the K3-signed directory),
   * the upload carries the attestation only, and the opening is kept in the patient's store.
   */
  async uploadAttested(
    patient: UserKey,
    record: Omit<RecordUpload, 'keywordAttestation'>,
    handoff: KeywordHandoff,
  ): Promise<UploadResult> {
    const doctor = await this.#client.directory(handoff.attestation.doctorKeyId);
    if (doctor.role !== 'doctor' || doctor.status !== 'active')
      throw fail('NOT_REGISTERED_DOCTOR', 'the attestation is not by an active registered doctor');
    checkKeywordHandoff(handoff, keyIdOf(patient.publicKey), doctor.publicKey);
    const store = this.store(patient);
    const result = await this.#client.upload(patient, { ...record, keywordAttestation: handoff.attestation });
    store.addOpening({
      recordId: result.recordId,
      keyword: handoff.keyword,
      blinding: handoff.blinding,
      commitment: handoff.attestation.commitment,
      doctorKeyId: handoff.attestation.doctorKeyId,
    });
    return result;
  }

  /** Records a day's readings locally (in each indicator's unit); nothing is sent. Default day: today (UTC). */
  record(patient: UserKey, values: Readonly<Record<string, number>>, day = dayOf(this.#clock())): DailyReadings {
    return this.store(patient).record(day, values);
  }

  /** The study, refused with STUDY_CLOSED when it takes nothing new. */
  async #openStudy(user: UserKey, studyId: string): Promise<IndicatorStudyResult> {
    const study = await this.#client.getIndicatorStudy(user, studyId);
    if (!study.open) throw fail('STUDY_CLOSED', `indicator study ${studyId} takes no joins or submissions`);
    return study;
  }

  /**
   * Joins a study: finds the attested record whose keyword is in the study's set and proves that
   * in zero knowledge (the contract learns it is one of the set, not which). No matching record:
   * KEYWORD_NOT_MATCHED here, and nothing is sent. The pseudonym is kept in the store.
   */
  async join(patient: UserKey, studyId: string): Promise<IndicatorJoinResult & { recordId: string }> {
    const store = this.store(patient);
    const study = await this.#openStudy(patient, studyId);
    const known = store.participation(studyId);
    if (known) throw fail('ALREADY_JOINED', `this patient ${known.leftAt ? 'left' : 'joined'} the study already`);
    const opening = matchingOpening(study.study, store.openings);
    const proof = joinProof(study.study, studyId, opening);
    const joined = await this.#client.joinIndicatorStudy(patient, { studyId, recordId: opening.recordId, proof });
    store.setParticipation({
      studyId,
      pseudonym: joined.pseudonym,
      recordId: opening.recordId,
      joinedAt: joined.joinedAt,
      submitted: [],
    });
    return { ...joined, recordId: opening.recordId };
  }

  #current(store: PatientStore, studyId: string): Participation {
    const p = store.participation(studyId);
    if (!p || p.leftAt !== undefined) throw fail('NOT_PARTICIPANT', 'this patient is not a participant of the study');
    return p;
  }

  /**
   * Submits the stored readings of `days` (one day for a study that checks each value; a run of
   * days for one that checks the mean): scaled, range-checked, encrypted under the study key and
   * proven (validity and range). An out-of-range value is INDICATOR_OUT_OF_RANGE here, and nothing
   * is sent.
   */
  async submit(patient: UserKey, studyId: string, days: readonly number[]): Promise<IndicatorSubmitResult> {
    const store = this.store(patient);
    const participation = this.#current(store, studyId);
    const study = await this.#openStudy(patient, studyId);
    const sorted = [...days].sort((a, b) => a - b);
    const again = sorted.filter((d) => participation.submitted.includes(d));
    if (again.length > 0) throw fail('INDICATOR_DAY_SUBMITTED', `day ${again.join(', ')} was submitted already`);
    const readings = sorted.map((d) => {
      const r = store.readingsOf(d);
      if (!r) throw fail('INVALID_INPUT', `no readings are recorded for day ${d}`);
      return r;
    });
    const body = buildSubmission({
      studyId,
      study: study.study,
      pseudonym: participation.pseudonym,
      days: readings,
      today: dayOf(this.#clock()),
    });
    const result = await this.#client.submitIndicators(patient, body);
    store.setParticipation({
      ...participation,
      submitted: [...participation.submitted, ...result.days].sort((a, b) => a - b),
    });
    return result;
  }

  /** Leaves the study: the contract deletes this participant's readings; the store remembers it left. */
  async leave(patient: UserKey, studyId: string): Promise<IndicatorLeaveResult> {
    const store = this.store(patient);
    const participation = this.#current(store, studyId);
    const result = await this.#client.leaveIndicatorStudy(patient, studyId);
    store.setParticipation({ ...participation, leftAt: result.leftAt });
    return result;
  }

  // ---- the institution -------------------------------------------------------------------

  /**
   * Publishes a study under the study key's public half (the study's `publicKey`, filled in from
   * the key when absent; a different one is refused here: the institution could not decrypt).
   */
  async publish(
    institution: UserKey,
    study: Omit<IndicatorStudyInput, 'publicKey'> & { publicKey?: string },
    key: Pick<StudyKey, 'publicKey'>,
  ): Promise<IndicatorStudyPublishResult> {
    if (study.publicKey !== undefined && study.publicKey !== key.publicKey)
      throw fail('INVALID_INPUT', "the study's publicKey is not the study key's public half");
    const input = parseIndicatorStudyInput({ ...study, publicKey: key.publicKey });
    return this.#client.publishIndicatorStudy(institution, input);
  }

  getStudy(user: UserKey, studyId: string): Promise<IndicatorStudyResult> {
    return this.#client.getIndicatorStudy(user, studyId);
  }

  listStudies(
    user: UserKey,
    page: { pageSize?: number; bookmark?: string } = {},
  ): ReturnType<MedshareClient['listIndicatorStudies']> {
    return this.#client.listIndicatorStudies(user, page);
  }

  async #studyFor(institution: UserKey, studyId: string, key: StudyKey): Promise<IndicatorStudyResult> {
    const study = await this.#client.getIndicatorStudy(institution, studyId);
    if (study.study.publicKey !== key.publicKey)
      throw fail('INVALID_INPUT', `the study key is not the one study ${studyId} was published with`);
    return study;
  }

  /** The aggregates, decrypted: per indicator its participants, readings, sum and mean (null below k). */
  async aggregates(institution: UserKey, studyId: string, key: StudyKey): Promise<DecryptedAggregates> {
    const study = await this.#studyFor(institution, studyId, key);
    const result = await this.#client.indicatorAggregates(institution, studyId);
    return decryptAggregates(study.study, result, key.secretKey);
  }

  /**
   * Exports the pseudonymous series: every page read (each read audited), decrypted and
   * k-suppressed. INDICATOR_K_NOT_REACHED (from the contract) while fewer than k participate.
   */
  async exportSeries(
    institution: UserKey,
    studyId: string,
    key: StudyKey,
    format: IndicatorExportFormat,
  ): Promise<IndicatorExport & { studyId: string }> {
    const study = await this.#studyFor(institution, studyId, key);
    const items: IndicatorSeriesItem[] = [];
    const maxPages = this.#options.maxSeriesPages ?? INDICATOR_MAX_PARTICIPANTS;
    let bookmark = '';
    for (let page = 0; ; page++) {
      if (page === maxPages) throw fail('PAYLOAD_TOO_LARGE', `the series has more than ${maxPages} pages`);
      const read = await this.#client.indicatorSeries(institution, studyId, { pageSize: SERIES_PAGE, bookmark });
      items.push(...read.participants);
      bookmark = read.bookmark;
      if (bookmark === '') break;
    }
    return { studyId, ...exportSeries(study.study, decryptSeries(study.study, items, key.secretKey), format) };
  }
}
