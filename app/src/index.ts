// SPDX-License-Identifier: Apache-2.0
export {
  MedshareClient,
  defaultPseudonym,
  type ClientOptions,
  type Contribution,
  type FileProgress,
  type ProxyListEntry,
  type UploadFileOptions,
  type Page,
  type RecordUpload,
  type UploadResult,
  type UserKey,
} from './client/medshare-client';
export {
  DEFAULT_TIMEOUT_MS,
  IDLE_SOCKET_TIMEOUT_MS,
  errorFromBody,
  httpsTransport,
  textStream,
  type TextStream,
  type Transport,
  type TransportOptions,
} from './client/transport';
export { parseSse, type SseMessage } from './client/sse';
export { newFileKey, type FileKeys, type NewFileKey } from './files/file-keys';
export {
  openFromKeyWrap,
  openRecord,
  sealRecord,
  sealToKey,
  unwrapDataKey,
  wrapDataKey,
} from './records/record-crypto';
export {
  extractAad,
  openExtract,
  openProfile,
  profileAad,
  sealExtract,
  sealProfile,
  signingRing,
  type SigningRing,
} from './research/research-crypto';
export type { ResumeEvent } from './files/resumable-upload';
export { loadAppConfig, type AppConfig } from './config/app-config';
export { readRecordSource, type RecordSource } from './research/record-source';
export { ageAt, deriveExtract, encodeExtract, readExtract, type SealedExtract } from './research/extract';
export { decodeProfile, encodeProfile } from './research/profile';
export { kAnonymize, type AnonymizedRows, type DatasetRow, type KAnonymityReport } from './research/k-anonymity';
export {
  DATASET_FORMATS,
  RESEARCH_FIELD_SYSTEM,
  toCsv,
  toFhirBundle,
  toNdjson,
  type DatasetFormat,
} from './research/dataset-formats';
export { buildDataset, type Dataset, type Rejection, type SealedEntry } from './research/dataset';
export { chooseRing, type PatientLister, type RingChoice, type RingChoiceOptions } from './research/ring-members';
export {
  MedshareResearch,
  type AnonymousOutcome,
  type RecordRef,
  type ResearchOptions,
} from './research/research-client';
export { APP_VERSION } from './version';
export {
  attestKeyword,
  checkKeywordHandoff,
  keywordScalarOf,
  normalizeKeyword,
  parseKeywordHandoff,
  type KeywordHandoff,
} from './indicators/keyword';
export { createStudyKeyFile, readStudyKeyFile, type StudyKey } from './indicators/study-key';
export { PatientStore, type DailyReadings, type KeywordOpening, type Participation } from './indicators/patient-store';
export { buildSubmission, joinProof, matchingOpening, scaled } from './indicators/proofs';
export {
  INDICATOR_EXPORT_FORMATS,
  decryptAggregates,
  decryptSeries,
  exportSeries,
  suppressSeries,
  type DecryptedAggregate,
  type DecryptedAggregates,
  type IndicatorExport,
  type IndicatorExportFormat,
  type SeriesReport,
  type SeriesRow,
} from './indicators/output';
export { MedshareIndicators, type IndicatorsOptions } from './indicators/indicators-client';
