export { MedshareClient, defaultPseudonym, type ClientOptions, type Page, type UploadResult, type UserKey } from './client/medshare-client';
export { DEFAULT_TIMEOUT_MS, IDLE_SOCKET_TIMEOUT_MS, errorFromBody, httpsTransport, type Transport, type TransportOptions } from './client/transport';
export { openRecord, sealRecord, unwrapDataKey, wrapDataKey } from './records/record-crypto';
export { loadAppConfig, type AppConfig } from './config/app-config';
