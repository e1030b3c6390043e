// SPDX-License-Identifier: Apache-2.0
import { fromBase64, fromHex, toBase64, toHex, utf8 } from '@medshare/crypto/bytes';
import { open, seal } from '@medshare/crypto/sealed-box';
import { decrypt, generateKeyPair } from '@medshare/crypto/sm2';
import { sm3 } from '@medshare/crypto/sm3';
import {
  canonicalize,
  chainPayload,
  fail,
  keyIdOf,
  newRequest,
  openCiphertext,
  parseJsonText,
  parseSealedMessage,
  parseSessionAnswer,
  requestHash,
  sessionAad,
  signFor,
  isSubmitted,
  parseResult,
  verifyFor,
  verifyLoginAssertion,
  parseLoginChallenge,
  type SignedLoginAssertion,
  MedshareError,
  AUDIT_EVENT_NAME,
  eventAad,
  parseDeliveredEvent,
  parseEventId,
  parseStreamGrant,
  subscribeRequestHash,
  type DeliveredEvent,
  type SubscribeRequest,
  SESSION_HEADER,
  PROTOCOL_VERSION,
  PSEUDONYM_LABEL,
  newRingRequest,
  ringScope,
  signedBytes,
  type AccessListReadResult,
  type AnyRequest,
  type AuditBody,
  type AuditEntry,
  type BodyOf,
  type ContributeResult,
  type KeyOperation,
  type ListPatientsResult,
  type PatientRecordsResult,
  type ProfileUpdateResult,
  type RecordAuthorizationsResult,
  type RingOperation,
  type StudyDefinitionInput,
  type IndicatorAggregatesResult,
  type IndicatorJoinResult,
  type IndicatorLeaveResult,
  type IndicatorSeriesResult,
  type IndicatorStudyInput,
  type IndicatorStudyListResult,
  type IndicatorStudyPublishResult,
  type IndicatorStudyResult,
  type IndicatorSubmitBody,
  type IndicatorSubmitResult,
  type KeywordAttestation,
  type StudyListResult,
  type StudyPublishResult,
  type StudyResult,
  type UnwarrantResult,
  type WarrantResult,
  type WithdrawResult,
  type GrantListItem,
  type GrantResult,
  type Operation,
  type ReadResult,
  type RecordListItem,
  type RegisterResult,
  type ResultOf,
  type RevokeResult,
  type PageBody,
  type Role,
  type SigningKey,
} from '@medshare/protocol';
import { randomBytes } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { Transform, pipeline, type Readable } from 'node:stream';
import {
  accessLayerRequestHash,
  parseFileFragmentsAttachment,
  parseFileViewAttachment,
  parseGatewayAnswer,
  parseUploadGrant,
  type FileDescriptor,
  type FileListItem,
  type FileUploadBeginRequest,
  type ProxyFailure,
  type SharedFileListItem,
  type StagedUpload,
  type UploadGrant,
  type UploadState,
} from '@medshare/protocol';
import { checkedLeaves, decryptToFile } from '../files/file-streams';
import { uploadResumably, uploadState, type ResumeEvent } from '../files/resumable-upload';
import { APP_VERSION } from '../version';
import {
  assertKeyCheck,
  keyCheckHex,
  newFileKey,
  openDelegating,
  ownerFileKeys,
  receiverFileKeys,
  shareFragments,
  type FileKeys,
  type ProxyEntry,
} from '../files/file-keys';
import { openRecord, sealRecord, unwrapDataKey, wrapDataKey } from '../records/record-crypto';
import { openProfile, sealExtract, sealProfile, signingRing } from '../research/research-crypto';
import { ringSign } from '@medshare/crypto/ring';
import { parseSse } from './sse';
import {
  DEFAULT_TIMEOUT_MS,
  httpsTransport,
  type TextStream,
  type Transport,
  type TransportOptions,
} from './transport';

export interface ClientOptions extends Omit<TransportOptions, 'baseUrl'> {
  readonly gatewayUrl: string;
  readonly appId: string;
  /** The app's K2 key pair: it signs sig2. */
  readonly appKey: SigningKey;
  /** K3 public keys of the access layer this app trusts (sig5 and session answers). */
  readonly trustedAccessKeys: readonly string[];
  /** Optional K4 public keys: when set, sig4 is checked too. */
  readonly trustedContractKeys?: readonly string[];
  readonly clock?: () => number;
  /**
   * The app version stated in every signed request (docs/protocol.md §6, §7.6): the SDK's own by
   * default. A hospital system built on the SDK may state its own release instead, if that is
   * what its org's app-version policy names.
   */
  readonly appVersion?: string;
  /**
   * Uploads whose outcome is unknown (OUTCOME_UNKNOWN) or that found the ledger unavailable
   * (LEDGER_UNAVAILABLE) are sent again with the same idempotency key, which returns the first
   * record if it committed. Defaults: 3 attempts in all, 500 ms × attempt between them, and no
   * attempt started unless it can finish (one transport timeout) within 120 s of the first.
   */
  readonly uploadRetry?: { readonly attempts?: number; readonly delayMs?: number; readonly deadlineMs?: number };
  /**
   * A large file's upload (uploadFile) whose connection drops, stalls or finds the store or the
   * gateway busy asks the gateway how much it stored and continues from there. Defaults: 5
   * attempts in all, 1000 ms × attempt between them.
   */
  readonly fileUploadRetry?: { readonly attempts?: number; readonly delayMs?: number };
  /** Waits between upload attempts; tests replace it. */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** A record to upload for the patient: its plaintext (sealed here), its kind and, optionally, a doctor's keyword attestation. */
export interface RecordUpload {
  readonly content: Uint8Array;
  readonly kind: string;
  readonly createdAt?: number;
  readonly patientId?: string;
  /**
   * The doctor's attestation of a keyword commitment for this record (docs/protocol.md §21.2):
   * the commitment and the doctor's signature only; the keyword and its blinding stay with the patient.
   */
  readonly keywordAttestation?: KeywordAttestation;
}

/** The result of an upload; `replayed` when it resolved to a record an earlier attempt had created. */
export interface UploadResult {
  readonly recordId: string;
  readonly contentHash: string;
  readonly replayed: boolean;
}

// SESSION_BUSY: refused before the gateway read anything (too many of this session's large requests waiting).
const UPLOAD_RETRY_CODES: ReadonlySet<string> = new Set(['OUTCOME_UNKNOWN', 'LEDGER_UNAVAILABLE', 'SESSION_BUSY']);

/** Bytes moved so far of a large file's upload or download. */
export interface FileProgress {
  readonly phase: 'upload' | 'download';
  readonly bytes: number;
  readonly total: number;
}

export interface UploadFileOptions {
  /** `type/subtype` (default application/octet-stream). */
  readonly mediaType?: string;
  readonly chunkBytes?: number;
  readonly onProgress?: (progress: FileProgress) => void;
  /** Told when a dropped upload continues: from `offset` bytes the gateway had stored, on attempt `attempt`. */
  readonly onResume?: (resume: ResumeEvent) => void;
}

/** A registered proxy as the gateway lists it (files:ListProxies). */
export interface ProxyListEntry extends ProxyEntry {
  readonly org: string;
  readonly registeredAt: number;
  readonly retiredAt?: number;
}

/** Counts the bytes passing through, for progress reports. */
function counter(phase: FileProgress['phase'], total: number, onProgress?: (p: FileProgress) => void): Transform {
  let bytes = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      bytes += chunk.length;
      onProgress?.({ phase, bytes, total });
      callback(null, chunk);
    },
  });
}

async function readAll(stream: Readable, max: number): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of stream) {
    size += (c as Buffer).length;
    if (size > max) throw fail('INTEGRITY_FAILED', `more than ${max} bytes of leaves`);
    chunks.push(c as Buffer);
  }
  return new Uint8Array(Buffer.concat(chunks));
}

/**
 * An anonymous contribution (or its replacement): the study and its institution, the ring's
 * members as their public keys (4…64, the author's among them, chosen by the caller), and the
 * extract's plaintext, which the SDK seals for the institution.
 */
export interface Contribution {
  readonly study: { readonly studyId: string; readonly institutionKeyId: string };
  readonly ring: readonly string[];
  readonly extract: Uint8Array;
}

/** A user's K1 key pair, supplied per call and never kept by the client. */
export type UserKey = SigningKey;

export interface Page<T> {
  readonly items: T[];
  readonly bookmark: string;
}

interface SessionState {
  readonly sessionId: string;
  readonly key: Uint8Array;
  readonly expiresAt: number;
}

/**
 * A request that cannot write (an evaluation, a session open) has no unknown outcome: when the
 * transport cannot tell whether the gateway took it, nothing was written either way.
 */
function writesNothing(error: unknown): unknown {
  if (!(error instanceof MedshareError) || error.code !== 'OUTCOME_UNKNOWN') return error;
  return new MedshareError({ code: 'LEDGER_UNAVAILABLE', message: error.detail, cause: error, context: error.context });
}

/** Failures a follower waits out (the gateway restarting, busy or unreachable), resuming after its last event. */
const FOLLOW_RETRY_CODES: ReadonlySet<string> = new Set([
  'LEDGER_UNAVAILABLE',
  'OUTCOME_UNKNOWN',
  'SESSION_UNKNOWN',
  'GATEWAY_BUSY',
  'RATE_LIMITED',
  'STREAM_TOKEN_INVALID',
]);

/** The default pseudonym of a key: SM3("medshare/v1/pseudonym\n" ‖ keyId bytes). */
export function defaultPseudonym(publicKey: string): string {
  return toHex(sm3(new Uint8Array([...utf8(PSEUDONYM_LABEL), ...fromHex(keyIdOf(publicKey))])));
}

/**
 * The information-sharing app's SDK for hospital systems (README.md; docs/protocol.md §5–§7). It
 * opens and renews sessions, signs every request with the user's K1 (sig1) and the app's K2
 * (sig2), seals it under the session key, and accepts an answer only after verifying sig5 with a
 * trusted K3.
 * Records are sealed before upload and opened after view; keys never leave the process.
 */
export class MedshareClient {
  readonly #transport: Transport;
  readonly #options: ClientOptions;
  readonly #k2Id: string;
  readonly #trustedK3: Map<string, string>;
  readonly #trustedK4: Map<string, string> | undefined;
  readonly #clock: () => number;
  readonly #sleep: (ms: number) => Promise<void>;
  #session: SessionState | undefined;
  #opening: Promise<SessionState> | undefined;

  constructor(options: ClientOptions, transport?: Transport) {
    this.#options = options;
    this.#transport = transport ?? httpsTransport({ baseUrl: options.gatewayUrl, ...options });
    this.#k2Id = keyIdOf(options.appKey.publicKey);
    this.#trustedK3 = new Map(options.trustedAccessKeys.map((k) => [keyIdOf(k), k]));
    this.#trustedK4 = options.trustedContractKeys
      ? new Map(options.trustedContractKeys.map((k) => [keyIdOf(k), k]))
      : undefined;
    this.#clock = options.clock ?? Date.now;
    this.#sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  close(): void {
    this.#transport.close();
  }

  // ---- operations ---------------------------------------------------------------------

  register(
    user: UserKey,
    role: Role,
    pseudonym = defaultPseudonym(user.publicKey),
  ): Promise<RegisterResult & { pseudonym: string }> {
    return this.#call('register', user, { role, publicKey: user.publicKey, pseudonym }).then((r) => ({
      ...r,
      pseudonym,
    }));
  }

  /**
   * Seals `content` under a fresh data key and uploads it for the patient `user`, with an
   * idempotency key chosen once for this logical upload. When the gateway cannot tell whether
   * the upload committed (OUTCOME_UNKNOWN) or reports the ledger unavailable, the same sealed
   * body is sent again in a new request (new nonce): the ledger then returns the record the
   * first attempt created, if it did, so a retry never makes a duplicate. Bounded by
   * `uploadRetry`; then the last error is thrown (an OUTCOME_UNKNOWN names its transaction; the
   * owner's record list shows whether it committed).
   */
  async upload(user: UserKey, record: RecordUpload): Promise<UploadResult> {
    const body = this.#uploadBody(user, record);
    return this.#retryUpload(async () => {
      const result = await this.#call('upload', user, body);
      return { recordId: result.recordId, contentHash: result.contentHash, replayed: result.replayed === true };
    });
  }

  #uploadBody(user: UserKey, record: RecordUpload): BodyOf<'upload'> {
    const patientId = record.patientId ?? defaultPseudonym(user.publicKey);
    const sealed = sealRecord(record.content, user.publicKey, patientId);
    // One key per logical upload: every attempt sends this same sealed body.
    const idempotencyKey = randomBytes(32).toString('hex');
    return {
      patientId,
      ciphertext: sealed.ciphertext,
      contentHash: sealed.contentHash,
      ownerKeyWrap: sealed.ownerKeyWrap,
      metadata: { kind: record.kind, createdAt: record.createdAt ?? this.#clock() },
      idempotencyKey,
      ...(record.keywordAttestation ? { keywordAttestation: record.keywordAttestation } : {}),
    };
  }

  /** `uploadRetry` with its defaults; the deadline counts from now. */
  #uploadRetryPolicy(): { attempts: number; delayMs: number; deadline: number; timeout: number } {
    const retry = this.#options.uploadRetry ?? {};
    return {
      attempts: retry.attempts ?? 3,
      delayMs: retry.delayMs ?? 500,
      deadline: this.#clock() + (retry.deadlineMs ?? 120_000),
      timeout: this.#options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    };
  }

  async #retryUpload(attemptUpload: () => Promise<UploadResult>): Promise<UploadResult> {
    const { attempts, delayMs, deadline, timeout } = this.#uploadRetryPolicy();
    // Once an attempt's outcome is unknown, a later attempt that wrote nothing (LEDGER_UNAVAILABLE)
    // proves nothing about it: the logical upload stays unknown, and that is what is reported.
    let unknown: MedshareError | undefined;
    for (let attempt = 1; ; attempt++) {
      try {
        return await attemptUpload();
      } catch (error) {
        if (error instanceof MedshareError && error.code === 'OUTCOME_UNKNOWN') unknown ??= error;
        const delay = delayMs * attempt;
        const retryable = error instanceof MedshareError && UPLOAD_RETRY_CODES.has(error.code);
        if (!retryable || attempt >= attempts || this.#clock() + delay + timeout > deadline)
          throw retryable && unknown ? unknown : error;
        await this.#sleep(delay);
      }
    }
  }

  /**
   * Grants `granteeKeyId` access: the owner's data key is recovered through an audited view,
   * re-wrapped for the grantee's public key (from the K3-signed directory), and the grant sent.
   */
  async grant(owner: UserKey, recordId: string, granteeKeyId: string): Promise<GrantResult> {
    const grantee = await this.directory(granteeKeyId);
    if (grantee.role === 'patient' || grantee.status !== 'active')
      throw fail('NOT_REGISTERED_DOCTOR', 'the grantee is not an approved doctor or institution');
    const { keyWrap } = await this.#viewRaw(owner, recordId);
    const dataKey = unwrapDataKey(keyWrap, owner.privateKey);
    return this.#call('grant', owner, { recordId, granteeKeyId, keyWrap: wrapDataKey(dataKey, grantee.publicKey) });
  }

  revoke(owner: UserKey, recordId: string, granteeKeyId: string): Promise<RevokeResult> {
    return this.#call('revoke', owner, { recordId, granteeKeyId });
  }

  /** Audit-first view: commits the access record, then reads and opens the record. */
  async view(
    user: UserKey,
    recordId: string,
  ): Promise<{
    recordId: string;
    accessId: string;
    content: Uint8Array;
    metadata: { kind: string; createdAt: number };
  }> {
    const raw = await this.#viewRaw(user, recordId);
    const content = openRecord(
      raw.ciphertext,
      raw.contentHash,
      unwrapDataKey(raw.keyWrap, user.privateKey),
      raw.patientId,
    );
    return { recordId, accessId: raw.accessId, content, metadata: raw.metadata };
  }

  listRecords(user: UserKey, page: Partial<PageBody> = {}): Promise<Page<RecordListItem>> {
    return this.#call('list-records', user, { pageSize: page.pageSize ?? 50, bookmark: page.bookmark ?? '' });
  }

  listGrants(user: UserKey, page: Partial<PageBody> = {}): Promise<Page<GrantListItem>> {
    return this.#call('list-grants', user, { pageSize: page.pageSize ?? 50, bookmark: page.bookmark ?? '' });
  }

  audit(owner: UserKey, recordId: string, page: Partial<Omit<AuditBody, 'recordId'>> = {}): Promise<Page<AuditEntry>> {
    return this.#call('audit', owner, { recordId, pageSize: page.pageSize ?? 100, bookmark: page.bookmark ?? '' });
  }

  // ---- research (docs/protocol.md §19) ----------------------------------------------------------
  // Final: every method of this section (names, arguments and results).

  /** Seals `profile` (the patient's own words, at most 8143 bytes) for the patient alone and stores it (registry:UpdateProfile). */
  updateProfile(patient: UserKey, profile: Uint8Array): Promise<ProfileUpdateResult> {
    return this.#call('profile-update', patient, sealProfile(profile, patient.publicKey));
  }

  /** The patient's own profile, opened (PROFILE_NOT_FOUND if none was stored). */
  async getProfile(patient: UserKey): Promise<{ profile: Uint8Array; updatedAt: number }> {
    const stored = await this.#call('profile-get', patient, {});
    return { profile: openProfile(stored, patient), updatedAt: stored.updatedAt };
  }

  /** The patient's append-only list of uploaded records, oldest first. */
  listPatientRecords(patient: UserKey, page: Partial<PageBody> = {}): Promise<PatientRecordsResult> {
    return this.#call('patient-records', patient, { pageSize: page.pageSize ?? 50, bookmark: page.bookmark ?? '' });
  }

  /** Registered, active patients' keys (to choose a ring from); any active registered user may list them. */
  listPatients(user: UserKey, page: Partial<PageBody> = {}): Promise<ListPatientsResult> {
    return this.#call('list-patients', user, { pageSize: page.pageSize ?? 100, bookmark: page.bookmark ?? '' });
  }

  /**
   * Warrants the owner's record to an institution's study: `extract` (the JCS plaintext the app
   * derived from the record by the study's rules) is sealed for the institution, whose key comes
   * from the K3-signed directory and must be an approved institution's.
   */
  async warrant(
    owner: UserKey,
    warrant: { recordId: string; studyId: string; institutionKeyId: string; extract: Uint8Array },
  ): Promise<WarrantResult> {
    const { recordId, studyId, institutionKeyId } = warrant;
    const institution = await this.#institution(institutionKeyId);
    return this.#call('warrant', owner, {
      recordId,
      studyId,
      institutionKeyId,
      ...sealExtract(warrant.extract, studyId, institution),
    });
  }

  /** Removes a warrant: the institution's next access-list read no longer has the entry. */
  unwarrant(
    owner: UserKey,
    warrant: { recordId: string; studyId: string; institutionKeyId: string },
  ): Promise<UnwarrantResult> {
    const { recordId, studyId, institutionKeyId } = warrant;
    return this.#call('unwarrant', owner, { recordId, studyId, institutionKeyId });
  }

  /** The record's authorization list (doctors granted, institutions warranted); the owner only. */
  recordAuthorizations(owner: UserKey, recordId: string): Promise<RecordAuthorizationsResult> {
    return this.#call('record-authorizations', owner, { recordId });
  }

  /** An approved institution publishes a study (refused with STUDY_RELEASES_IDENTIFIER if it names an identifier). */
  publishStudy(institution: UserKey, study: StudyDefinitionInput): Promise<StudyPublishResult> {
    return this.#call('study-publish', institution, { study });
  }

  getStudy(user: UserKey, studyId: string): Promise<StudyResult> {
    return this.#call('study-get', user, { studyId });
  }

  listStudies(user: UserKey, page: Partial<PageBody> = {}): Promise<StudyListResult> {
    return this.#call('study-list', user, { pageSize: page.pageSize ?? 50, bookmark: page.bookmark ?? '' });
  }

  /**
   * One page of the study's access list, for its institution only (ACCESS_LIST_FORBIDDEN for
   * anyone else): sealed entries, opened with `openExtract`. Submitted: the read is audited.
   */
  readAccessList(institution: UserKey, studyId: string, page: Partial<PageBody> = {}): Promise<AccessListReadResult> {
    return this.#call('access-list-read', institution, {
      studyId,
      pageSize: page.pageSize ?? 50,
      bookmark: page.bookmark ?? '',
    });
  }

  /**
   * Contributes `extract` anonymously to a study: sealed for the study's institution and signed
   * by `author` as one of `ring` (the members' public keys, the author's among them, 4…64, chosen
   * by the caller). LINK_TAG_REUSED if this author already has a live contribution there.
   */
  async contribute(author: UserKey, contribution: Contribution): Promise<ContributeResult> {
    return this.#callRing('contribute', author, contribution.ring, await this.#contributionBody(contribution));
  }

  /** Withdraws the author's contribution to the study, proven by the same link tag from any ring of eligible members. */
  withdrawContribution(
    author: UserKey,
    withdrawal: { studyId: string; ring: readonly string[] },
  ): Promise<WithdrawResult> {
    return this.#callRing('contribution-withdraw', author, withdrawal.ring, { studyId: withdrawal.studyId });
  }

  /** Replaces the author's contribution to the study with a new extract (CONTRIBUTION_NOT_FOUND if there is none). */
  async replaceContribution(author: UserKey, contribution: Contribution): Promise<ContributeResult> {
    return this.#callRing(
      'contribution-replace',
      author,
      contribution.ring,
      await this.#contributionBody(contribution),
    );
  }

  /** The sealed body of a contribution; the institution's key is read from the (unauthenticated) directory. */
  async #contributionBody(contribution: Contribution): Promise<BodyOf<'contribute'>> {
    const { studyId, institutionKeyId } = contribution.study;
    const institution = await this.#institution(institutionKeyId);
    return { studyId, ...sealExtract(contribution.extract, studyId, institution) };
  }

  /** An approved institution's directory entry (K3-signed). */
  async #institution(keyId: string): Promise<{ keyId: string; publicKey: string }> {
    const entry = await this.directory(keyId);
    if (entry.role !== 'institution' || entry.status !== 'active')
      throw fail('NOT_APPROVED', `${keyId} is not an approved institution`);
    return entry;
  }

  // ---- daily indicators (docs/protocol.md §21) ----------------------------------------------
  // The wire calls; the proofs and the decryption are MedshareIndicators' (app/src/indicators/).

  /** An approved institution publishes an indicator study with its twisted ElGamal public key. */
  publishIndicatorStudy(institution: UserKey, study: IndicatorStudyInput): Promise<IndicatorStudyPublishResult> {
    return this.#call('indicator-study-publish', institution, { study });
  }

  getIndicatorStudy(user: UserKey, studyId: string): Promise<IndicatorStudyResult> {
    return this.#call('indicator-study-get', user, { studyId });
  }

  listIndicatorStudies(user: UserKey, page: Partial<PageBody> = {}): Promise<IndicatorStudyListResult> {
    return this.#call('indicator-study-list', user, { pageSize: page.pageSize ?? 50, bookmark: page.bookmark ?? '' });
  }

  /** Joins a study with a membership proof (hex) for the record's attested keyword commitment. */
  joinIndicatorStudy(
    patient: UserKey,
    join: { studyId: string; recordId: string; proof: string },
  ): Promise<IndicatorJoinResult> {
    return this.#call('indicator-join', patient, join);
  }

  /** Sends a submission already encrypted and proven (MedshareIndicators.submit builds one). */
  submitIndicators(patient: UserKey, submission: IndicatorSubmitBody): Promise<IndicatorSubmitResult> {
    return this.#call('indicator-submit', patient, submission);
  }

  leaveIndicatorStudy(patient: UserKey, studyId: string): Promise<IndicatorLeaveResult> {
    return this.#call('indicator-leave', patient, { studyId });
  }

  /** The study's encrypted sums (its institution only; submitted, so audited). */
  indicatorAggregates(institution: UserKey, studyId: string): Promise<IndicatorAggregatesResult> {
    return this.#call('indicator-aggregates', institution, { studyId });
  }

  /** One page of the study's pseudonymous series (its institution only; INDICATOR_K_NOT_REACHED below k). */
  indicatorSeries(institution: UserKey, studyId: string, page: Partial<PageBody> = {}): Promise<IndicatorSeriesResult> {
    return this.#call('indicator-series', institution, {
      studyId,
      pageSize: page.pageSize ?? 20,
      bookmark: page.bookmark ?? '',
    });
  }

  // ---- large files (docs/protocol.md §15–§17) ------------------------------------------------

  /**
   * Encrypts the file at `path` chunk by chunk under a new per-file key and streams it to the
   * gateway, then records its descriptor (file-upload). The patient `user` owns it. Never holds
   * more than a chunk of the file in memory.
   */
  async uploadFile(
    user: UserKey,
    path: string,
    options: UploadFileOptions = {},
  ): Promise<ResultOf<'file-upload'> & { chunks: number }> {
    const { size } = await stat(path);
    const chunkBytes = options.chunkBytes ?? 1024 * 1024;
    const grant = await this.beginFileUpload(user, size, chunkBytes);
    const key = newFileKey(user.publicKey);
    const staged = await this.stageFile(grant, path, key, {
      chunkBytes,
      size,
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      ...(options.onResume ? { onResume: options.onResume } : {}),
    });
    const result = await this.commitFileUpload(user, {
      uploadId: grant.uploadId,
      root: staged.root,
      size,
      chunkBytes,
      mediaType: options.mediaType ?? 'application/octet-stream',
      capsule: key.capsule,
      delegatingKey: key.delegatingKey,
      ownerKeyWrap: key.ownerKeyWrap,
      keyCheck: keyCheckHex(key, staged.root),
    });
    return { ...result, chunks: staged.chunks };
  }

  /** The file-upload request for a staged upload: the gateway checks the staged object against it, then the ledger records it. */
  commitFileUpload(user: UserKey, body: BodyOf<'file-upload'>): Promise<ResultOf<'file-upload'>> {
    return this.#call('file-upload', user, body);
  }

  /** file-upload-begin: a signed request the gateway answers itself with an upload id and a one-use token. */
  async beginFileUpload(user: UserKey, size: number, chunkBytes: number): Promise<UploadGrant> {
    const now = this.#clock();
    const request: FileUploadBeginRequest = {
      v: PROTOCOL_VERSION,
      op: 'file-upload-begin',
      body: { size, chunkBytes },
      nonce: randomBytes(16).toString('hex'),
      issuedAt: now,
      expiresAt: now + 2 * 60 * 1000,
      appId: this.#options.appId,
      keyId: keyIdOf(user.publicKey),
    };
    const { answer } = await this.#localRequest('/v1/files/uploads', user, request);
    const grant = parseUploadGrant(answer);
    if (grant.requestHash !== accessLayerRequestHash(request))
      throw fail('SIG5_INVALID', 'answer does not answer this request');
    return grant;
  }

  /**
   * Streams the encrypted file to the upload, resuming after a dropped connection where the
   * gateway's stored bytes end (bounded by `fileUploadRetry`); the gateway's root must be the one
   * computed here.
   */
  async stageFile(
    grant: UploadGrant,
    path: string,
    keys: FileKeys,
    options: {
      chunkBytes: number;
      size: number;
      onProgress?: (p: FileProgress) => void;
      onResume?: (resume: ResumeEvent) => void;
    },
  ): Promise<StagedUpload> {
    const retry = this.#options.fileUploadRetry ?? {};
    const { onProgress } = options;
    return uploadResumably(this.#transport, grant, path, keys.encryption, {
      chunkBytes: options.chunkBytes,
      size: options.size,
      sleep: this.#sleep,
      ...(onProgress
        ? { onProgress: (bytes: number) => onProgress({ phase: 'upload', bytes, total: options.size }) }
        : {}),
      ...(options.onResume ? { onResume: options.onResume } : {}),
      ...(retry.attempts === undefined ? {} : { attempts: retry.attempts }),
      ...(retry.delayMs === undefined ? {} : { delayMs: retry.delayMs }),
    });
  }

  /** Where a begun upload stands on the gateway: the offset it stored durably, and its digest once staged. */
  fileUploadState(grant: UploadGrant): Promise<UploadState> {
    return uploadState(this.#transport, grant);
  }

  /** The descriptor the ledger holds (file-get): the owner's with its key wrap, a receiver's with the share. */
  getFile(user: UserKey, fileId: string): Promise<FileDescriptor> {
    return this.#call('file-get', user, { fileId });
  }

  /** The registered, unretired proxies, each checked to be named by its own key. */
  async listProxies(): Promise<ProxyListEntry[]> {
    const list = (await this.#transport.get('/v1/proxies')) as ProxyListEntry[];
    const now = this.#clock();
    return list.filter((p) => keyIdOf(p.publicKey) === p.proxyId && (p.retiredAt === undefined || p.retiredAt > now));
  }

  /**
   * Shares a file with an approved doctor or institution, t-of-n over the registered proxies (at
   * most 16): the owner opens its delegating secret, makes key fragments for the receiver's key
   * (from the K3-signed directory) and seals each to one proxy.
   */
  async shareFile(
    owner: UserKey,
    fileId: string,
    receiverKeyId: string,
    options: { threshold?: number; proxies?: readonly ProxyEntry[] } = {},
  ): Promise<ResultOf<'file-share'>> {
    const receiver = await this.directory(receiverKeyId);
    if (receiver.role === 'patient' || receiver.status !== 'active')
      throw fail('NOT_REGISTERED_DOCTOR', 'the receiver is not an approved doctor or institution');
    const descriptor = await this.getFile(owner, fileId);
    const delegating = openDelegating(descriptor, owner.privateKey);
    const proxies = (options.proxies ?? (await this.listProxies())).slice(0, 16);
    const threshold = options.threshold ?? 2;
    if (proxies.length < threshold)
      throw fail('PROXY_NOT_FOUND', `${proxies.length} proxies are registered; a ${threshold}-of-n share needs more`);
    const fragments = shareFragments(delegating, receiver.publicKey, threshold, proxies);
    return this.#call('file-share', owner, { fileId, receiverKeyId, threshold, fragments });
  }

  revokeFile(owner: UserKey, fileId: string, receiverKeyId: string): Promise<ResultOf<'file-revoke'>> {
    return this.#call('file-revoke', owner, { fileId, receiverKeyId });
  }

  listFiles(user: UserKey, page: Partial<PageBody> = {}): Promise<Page<FileListItem>> {
    return this.#call('file-list', user, { pageSize: page.pageSize ?? 50, bookmark: page.bookmark ?? '' });
  }

  listSharedFiles(user: UserKey, page: Partial<PageBody> = {}): Promise<Page<SharedFileListItem>> {
    return this.#call('file-list-shared', user, { pageSize: page.pageSize ?? 50, bookmark: page.bookmark ?? '' });
  }

  /**
   * The receiver's key through the proxies (file-fragments): the capsule fragments that verify,
   * the key opened from `threshold` of them, and the proxies that failed.
   */
  async openSharedFileKey(
    user: UserKey,
    fileId: string,
  ): Promise<{ keys: FileKeys; capsuleFragments: string[]; failures: readonly ProxyFailure[] }> {
    const { result, attachment } = await this.#callFull('file-fragments', user, { fileId });
    const served = parseFileFragmentsAttachment(attachment);
    const { keys, verified } = receiverFileKeys(
      result,
      served.capsuleFragments.map((c) => c.capsuleFragment),
      user.privateKey,
    );
    return { keys, capsuleFragments: verified, failures: served.failures };
  }

  /**
   * Downloads a file to `outPath`: the owner opens the key with its delegating secret, a receiver
   * through the proxies; the key check, then an audited file-view (its answer carries the
   * download token), the leaves checked against the ledger's root, and every chunk checked
   * against its leaf before it is decrypted. The plaintext goes to a temporary file renamed on
   * success; on any failure nothing is left at `outPath` (INTEGRITY_FAILED for altered bytes).
   */
  async downloadFile(
    user: UserKey,
    fileId: string,
    outPath: string,
    options: { onProgress?: (p: FileProgress) => void } = {},
  ): Promise<{ fileId: string; accessId: string; size: number; root: string; proxies: string[] }> {
    const transport = this.#transport;
    if (!transport.download) throw fail('INTERNAL', 'this transport cannot download files');
    const download = (path: string, headers: Readonly<Record<string, string>>): Promise<Readable> =>
      (transport.download as NonNullable<Transport['download']>)(path, headers);
    const descriptor = await this.getFile(user, fileId);
    let keys: FileKeys;
    let capsuleFragments: string[] = [];
    if (descriptor.ownerKeyWrap !== undefined) {
      keys = ownerFileKeys(descriptor, openDelegating(descriptor, user.privateKey));
    } else {
      ({ keys, capsuleFragments } = await this.openSharedFileKey(user, fileId));
    }
    assertKeyCheck(keys, descriptor);
    const { result: view, attachment } = await this.#callFull('file-view', user, { fileId, capsuleFragments });
    if (view.root !== descriptor.root || view.size !== descriptor.size)
      throw fail('INTEGRITY_FAILED', "the view's root is not the descriptor's");
    const { downloadToken } = parseFileViewAttachment(attachment);
    const auth = { authorization: `Bearer ${downloadToken}` };
    const leaves = checkedLeaves(await readAll(await download(`/v1/files/${fileId}/leaves`, auth), 32 * 2 ** 32), {
      root: fromHex(descriptor.root),
      size: descriptor.size,
      chunkBytes: descriptor.chunkBytes,
    });
    // The counter's end of the pipeline carries any failure of the download on to decryptToFile.
    const content = pipeline(
      await download(`/v1/files/${fileId}/content`, auth),
      counter('download', descriptor.size, options.onProgress),
      () => undefined,
    );
    await decryptToFile(content, outPath, {
      key: keys.encryption,
      size: descriptor.size,
      chunkBytes: descriptor.chunkBytes,
      leaves,
    });
    return { fileId, accessId: view.accessId, size: descriptor.size, root: descriptor.root, proxies: view.proxies };
  }

  /**
   * Logs `user` in (docs/protocol.md §7.7): asks the gateway for a one-time challenge in this
   * session, signs it with the user's K1 (purpose `login`) and returns the gateway's K3-signed
   * assertion, verified here (trusted K3, this app, its window) and checked to answer this
   * challenge. No password is involved; the key never leaves the process. A hospital system
   * keeps the assertion and checks it offline with `verifyLoginAssertion`.
   */
  async login(user: UserKey): Promise<SignedLoginAssertion> {
    const keyId = keyIdOf(user.publicKey);
    const { answer, session } = await this.#sealedPost('/v1/login/challenges', { v: PROTOCOL_VERSION, keyId }, 4096, {
      [SESSION_HEADER]: true,
    });
    const challenge = parseLoginChallenge(answer);
    if (
      challenge.keyId !== keyId ||
      challenge.appId !== this.#options.appId ||
      challenge.sessionId !== session.sessionId
    )
      throw fail('LOGIN_CHALLENGE_INVALID', 'the gateway answered a challenge for another key, app or session');
    const signature = signFor('login', user, challenge);
    // The challenge is bound to its session: a new session cannot answer it, so no retry on another.
    const { answer: signed } = await this.#sealedPost(
      '/v1/login',
      { v: PROTOCOL_VERSION, challenge, signature },
      4096,
      { [SESSION_HEADER]: true },
      session,
    );
    const assertion = verifyLoginAssertion(signed, {
      trustedAccessKeys: this.#options.trustedAccessKeys,
      now: this.#clock(),
      appId: this.#options.appId,
    });
    if (assertion.nonce !== challenge.nonce || assertion.keyId !== keyId)
      throw fail('LOGIN_ASSERTION_INVALID', 'the assertion answers another login');
    return signed as SignedLoginAssertion;
  }

  /**
   * A request the gateway answers itself (file-upload-begin, subscribe): signed and sealed like any
   * request; resolves with the sealed answer's plaintext and the session it came on. Nothing is
   * written on the ledger, so an unknown outcome is reported as LEDGER_UNAVAILABLE.
   */
  #localRequest(
    path: string,
    user: UserKey,
    request: FileUploadBeginRequest | SubscribeRequest,
  ): Promise<{ answer: unknown; session: SessionState }> {
    const sig1 = signFor('sig1', user, request);
    const envelope = {
      request,
      sig1,
      sig2: signFor('sig2', this.#options.appKey, { request, sig1 }),
      k2Id: this.#k2Id,
    };
    return this.#sealedPost(path, envelope, 4096);
  }

  /**
   * Seals `value` in the current session (a new one once, if the gateway no longer knows it; or
   * exactly `fixed`), posts it to `path` and opens the sealed answer (at most `maxBytes` of JSON).
   * `headers` asks for the session header. Writes nothing on the ledger: an unknown outcome is
   * LEDGER_UNAVAILABLE.
   */
  async #sealedPost(
    path: string,
    value: unknown,
    maxBytes: number,
    headers: { [SESSION_HEADER]?: true } = {},
    fixed?: SessionState,
  ): Promise<{ answer: unknown; session: SessionState }> {
    const plaintext = utf8(canonicalize(value));
    for (let attempt = 0; ; attempt++) {
      const session = fixed ?? (await this.#currentSession());
      try {
        const answer = parseSealedMessage(
          await this.#transport.post(
            path,
            {
              sessionId: session.sessionId,
              ciphertext: toBase64(seal(session.key, plaintext, sessionAad('request', session.sessionId))),
            },
            headers[SESSION_HEADER] ? { [SESSION_HEADER]: session.sessionId } : undefined,
          ),
        );
        if (answer.sessionId !== session.sessionId) throw fail('SIG5_INVALID', 'answer is for another session');
        const opened = openCiphertext('answer ciphertext failed authentication', () =>
          open(session.key, fromBase64(answer.ciphertext), sessionAad('response', session.sessionId)),
        );
        return { answer: parseJsonText(Buffer.from(opened).toString('utf8'), 'answer', maxBytes), session };
      } catch (error) {
        if (error instanceof MedshareError && error.code === 'SESSION_UNKNOWN' && attempt === 0 && !fixed) {
          this.#session = undefined;
          continue;
        }
        throw writesNothing(error);
      }
    }
  }

  /** A registered key's public entry, accepted only with a trusted K3 signature. */
  async directory(
    keyId: string,
  ): Promise<{ keyId: string; publicKey: string; role: Role; status: string; org: string }> {
    const answer = (await this.#transport.get(`/v1/users/${encodeURIComponent(keyId)}`)) as {
      user: { keyId: string; publicKey: string; role: Role; status: string; org: string };
      k3Id: string;
      sig3: string;
    };
    const k3 = this.#trustedK3.get(answer.k3Id);
    if (!k3 || !verifyFor('directory', k3, answer.user, answer.sig3))
      throw fail('SIG5_INVALID', 'directory answer is not signed by a trusted access-layer key');
    if (answer.user.keyId !== keyId || keyIdOf(answer.user.publicKey) !== keyId)
      throw fail('SIG5_INVALID', 'directory answer is for another key');
    return answer.user;
  }

  /**
   * The user's access notifications (every upload, view, grant and revoke of a record they own),
   * oldest first, after the event id `after` when given. Each event was sealed for this client's
   * session; it is opened, checked to be this user's, and yielded. With `follow` (the default)
   * the iteration waits for new events and, when the gateway ends a stream (session expiry,
   * shutdown), subscribes again and resumes after the last event it yielded; without it, it
   * ends after the events logged so far. Stop it with `break` after an event, or with
   * `options.signal`, which also ends a wait for the next event.
   */
  async *events(
    user: UserKey,
    options: { after?: string; follow?: boolean; signal?: AbortSignal } = {},
  ): AsyncGenerator<DeliveredEvent> {
    const follow = options.follow ?? true;
    const { signal } = options;
    const keyId = keyIdOf(user.publicKey);
    let after = options.after;
    if (after !== undefined) parseEventId(after, 'after');
    // Following survives the gateway going away (a restart, a deploy): transient failures are
    // retried with a growing pause (1 s doubling to 30 s), resuming after the last event seen.
    let pause = 1000;
    while (!signal?.aborted) {
      try {
        const { response, session } = await this.#openEventStream(user, after, follow);
        pause = 1000;
        for await (const event of this.#readEventStream(response, session, keyId, signal)) {
          after = event.id;
          yield event;
        }
      } catch (error) {
        if (!follow || !(error instanceof MedshareError && FOLLOW_RETRY_CODES.has(error.code))) throw error;
        this.#session = undefined; // the session most likely died with the gateway
      }
      if (!follow || signal?.aborted) return;
      // The stream ended (or could not be opened): resume on a fresh subscription after a pause.
      await abortableDelay(pause, signal);
      pause = Math.min(pause * 2, 30_000);
    }
  }

  async #openEventStream(
    user: UserKey,
    after: string | undefined,
    follow: boolean,
  ): Promise<{ response: TextStream; session: SessionState }> {
    const { token, session } = await this.#subscribe(user);
    // Resuming is the standard Last-Event-ID header, as an EventSource would send it.
    const response = await this.#transport.stream(`/v1/events${follow ? '' : '?follow=false'}`, {
      authorization: `Bearer ${token}`,
      ...(after === undefined ? {} : { 'last-event-id': after }),
    });
    return { response, session };
  }

  /** The stream's audit events, opened and checked to be `keyId`'s; the connection is closed when the reading ends. */
  async *#readEventStream(
    response: TextStream,
    session: SessionState,
    keyId: string,
    signal: AbortSignal | undefined,
  ): AsyncGenerator<DeliveredEvent> {
    // An abort drops the connection, which ends a wait for the next event.
    const abort = (): void => response.close();
    signal?.addEventListener('abort', abort);
    if (signal?.aborted) abort();
    try {
      for await (const message of parseSse(response)) {
        if (message.event !== AUDIT_EVENT_NAME || message.id === undefined) continue;
        const event = this.#openEvent(session, message.id, message.data);
        if (event.owner !== keyId) throw fail('CIPHERTEXT_INVALID', 'the gateway sent an event about another user');
        yield event;
      }
    } finally {
      signal?.removeEventListener('abort', abort);
      response.close();
    }
  }

  // ---- the signature chain, app side ---------------------------------------------------

  #openEvent(session: SessionState, id: string, data: string): DeliveredEvent {
    const plaintext = openCiphertext(`event ${id} failed authentication`, () =>
      open(session.key, fromBase64(data), eventAad(session.sessionId, id)),
    );
    const event = parseDeliveredEvent(parseJsonText(Buffer.from(plaintext).toString('utf8'), 'event', 64 * 1024));
    if (event.id !== id) throw fail('CIPHERTEXT_INVALID', `event ${id} carries another id`);
    return event;
  }

  /** A stream token for `user`: a subscribe request signed with sig1 and sig2, sealed like any request. */
  async #subscribe(user: UserKey): Promise<{ token: string; session: SessionState }> {
    const now = this.#clock();
    const request: SubscribeRequest = {
      v: PROTOCOL_VERSION,
      op: 'subscribe',
      body: {},
      nonce: randomBytes(16).toString('hex'),
      issuedAt: now,
      expiresAt: now + 2 * 60 * 1000,
      appId: this.#options.appId,
      keyId: keyIdOf(user.publicKey),
    };
    const { answer, session } = await this.#localRequest('/v1/events/subscriptions', user, request);
    const grant = parseStreamGrant(answer);
    if (grant.requestHash !== subscribeRequestHash(request) || grant.keyId !== request.keyId)
      throw fail('SIG5_INVALID', 'answer does not answer this request');
    return { token: grant.token, session };
  }

  async #viewRaw(user: UserKey, recordId: string): Promise<ReadResult> {
    const { accessId } = await this.#call('view', user, { recordId });
    return this.#call('read', user, { recordId, accessId });
  }

  /** One signature-chain request; resolves with its result, checked by the operations table's parser. */
  async #call<O extends KeyOperation>(op: O, user: UserKey, body: BodyOf<O>): Promise<ResultOf<O>> {
    return (await this.#callFull(op, user, body)).result;
  }

  /** #call, with the gateway's unsigned attachment beside the signed result (docs/protocol.md §17). */
  #callFull<O extends KeyOperation>(
    op: O,
    user: UserKey,
    body: BodyOf<O>,
  ): Promise<{ result: ResultOf<O>; attachment: unknown }> {
    const request = newRequest({
      op,
      body,
      appId: this.#options.appId,
      keyId: keyIdOf(user.publicKey),
      now: this.#clock(),
      appVersion: this.#options.appVersion ?? APP_VERSION,
    });
    return this.#send(op, request as AnyRequest, signFor('sig1', user, request));
  }

  /**
   * An anonymous request (docs/protocol.md §6): sig1 is the author's ring signature over the
   * request's sig1 bytes, in the study's scope, among the members the caller chose.
   */
  async #callRing<O extends RingOperation>(
    op: O,
    author: UserKey,
    memberPublicKeys: readonly string[],
    body: BodyOf<O>,
  ): Promise<ResultOf<O>> {
    const { studyId } = body as { studyId: string };
    const ring = signingRing(author, memberPublicKeys, studyId);
    const request = newRingRequest({ op, body, appId: this.#options.appId, ring: ring.author, now: this.#clock() });
    const sig1 = ringSign({
      message: signedBytes('sig1', request),
      scope: ringScope(studyId),
      ring: ring.keys,
      signer: ring.signer,
      privateKey: author.privateKey,
    });
    return (await this.#send(op, request as AnyRequest, toHex(sig1))).result;
  }

  /** Signs sig2, seals, sends and accepts the answer of a request already signed by its author. */
  async #send<O extends Operation>(
    op: O,
    request: AnyRequest,
    sig1: string,
  ): Promise<{ result: ResultOf<O>; attachment: unknown }> {
    const envelope = {
      request,
      sig1,
      sig2: signFor('sig2', this.#options.appKey, chainPayload(request, sig1)),
      k2Id: this.#k2Id,
    };
    const plaintext = utf8(canonicalize(envelope));
    for (let attempt = 0; ; attempt++) {
      const session = await this.#currentSession();
      try {
        const answer = await this.#transport.post(
          '/v1/requests',
          {
            sessionId: session.sessionId,
            ciphertext: toBase64(seal(session.key, plaintext, sessionAad('request', session.sessionId))),
          },
          { [SESSION_HEADER]: session.sessionId },
        );
        const accepted = this.#accept(answer, session, requestHash(request));
        return { result: parseResult(op, accepted.result, 'answer.response.result'), attachment: accepted.attachment };
      } catch (error) {
        // An unknown session was refused before anything else: safe to resend once on a new one.
        if (error instanceof MedshareError && error.code === 'SESSION_UNKNOWN' && attempt === 0) {
          this.#session = undefined;
          continue;
        }
        if (!isSubmitted(op)) throw writesNothing(error);
        throw error;
      }
    }
  }

  /** Step 5, app side: decrypt, then verify sig5 (and sig4 if K4 is trusted) before use. */
  #accept(
    answer: unknown,
    session: SessionState,
    expectedRequestHash: string,
  ): { result: unknown; attachment: unknown } {
    const sealed = parseSealedMessage(answer);
    if (sealed.sessionId !== session.sessionId) throw fail('SIG5_INVALID', 'answer is for another session');
    const plaintext = openCiphertext('answer ciphertext failed authentication', () =>
      open(session.key, fromBase64(sealed.ciphertext), sessionAad('response', session.sessionId)),
    );
    // The gateway's attachment sits beside the signed output, outside sig4 and sig5: the caller checks it itself.
    const { output, attachment } = parseGatewayAnswer(
      parseJsonText(Buffer.from(plaintext).toString('utf8'), 'answer', 8 * 1024 * 1024),
    );
    const k3 = this.#trustedK3.get(output.k3Id);
    if (!k3) throw fail('SIG5_INVALID', `answer is signed by an untrusted access-layer key ${output.k3Id}`);
    if (!verifyFor('sig5', k3, { response: output.response, sig4: output.sig4 }, output.sig5))
      throw fail('SIG5_INVALID', 'sig5 does not verify');
    if (output.response.requestHash !== expectedRequestHash)
      throw fail('SIG5_INVALID', 'answer does not answer this request');
    if (this.#trustedK4) {
      const k4 = this.#trustedK4.get(output.response.k4Id);
      if (!k4 || !verifyFor('sig4', k4, output.response, output.sig4))
        throw fail('SIG4_INVALID', 'sig4 does not verify against a trusted K4');
    }
    return { result: output.response.result, attachment };
  }

  async #currentSession(): Promise<SessionState> {
    const now = this.#clock();
    if (this.#session && this.#session.expiresAt - 30_000 > now) return this.#session;
    this.#opening ??= this.#openSession().finally(() => {
      this.#opening = undefined;
    });
    this.#session = await this.#opening;
    return this.#session;
  }

  /** Step 1, app side: ephemeral SM2 key, K2-signed; answer checked against trusted K3, then the ephemeral key is dropped. */
  async #openSession(): Promise<SessionState> {
    const ephemeral = generateKeyPair();
    const request = {
      v: PROTOCOL_VERSION,
      appId: this.#options.appId,
      k2Id: this.#k2Id,
      ephemeralPublicKey: ephemeral.publicKey,
      issuedAt: this.#clock(),
      nonce: randomBytes(16).toString('hex'),
    };
    const answer = parseSessionAnswer(
      await this.#transport
        .post('/v1/sessions', { ...request, sig2: signFor('session-request', this.#options.appKey, request) })
        .catch((error: unknown) => {
          throw writesNothing(error);
        }),
    );
    const { sig3, ...signed } = answer;
    const k3 = this.#trustedK3.get(answer.k3Id);
    if (!k3 || !verifyFor('session', k3, signed, sig3))
      throw fail('SESSION_SIGNATURE_INVALID', 'session answer is not signed by a trusted access-layer key');
    if (answer.ephemeralPublicKey !== ephemeral.publicKey || answer.appId !== this.#options.appId)
      throw fail('SESSION_SIGNATURE_INVALID', 'session answer is for another request');
    const key = decrypt(ephemeral.privateKey, fromHex(answer.encryptedKey));
    if (key.length !== 32) throw fail('SESSION_SIGNATURE_INVALID', 'session key must be 32 bytes');
    return { sessionId: answer.sessionId, key, expiresAt: answer.expiresAt };
  }
}

/** Resolves after `ms`, or at once when `signal` aborts. */
function abortableDelay(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
