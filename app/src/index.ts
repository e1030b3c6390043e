// SPDX-License-Identifier: Apache-2.0
export {
  MedshareClient,
  defaultPseudonym,
  type ClientOptions,
  type FileProgress,
  type ProxyListEntry,
  type UploadFileOptions,
  type Page,
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
export type { ResumeEvent } from './files/resumable-upload';
export { openRecord, sealRecord, unwrapDataKey, wrapDataKey } from './records/record-crypto';
export { loadAppConfig, type AppConfig } from './config/app-config';
