// SPDX-License-Identifier: Apache-2.0
/**
 * The operations table: per signature-chain operation (docs/protocol.md §6–§7), the Fabric
 * transaction that runs it (`contract:Transaction`), whether it is submitted (endorsed, ordered,
 * committed) or evaluated (one peer, nothing written), the parser of its request body and the
 * parser of what the contract returns in `ContractResponse.result`. The chaincode, the gateway
 * and the SDK all read it; a test (chaincode/src/operations-metadata.test.ts) holds it against
 * the chaincode's own metadata (`org.hyperledger.fabric:GetMetadata`).
 */
import { MedshareError } from './errors/medshare-error';
import {
  parseAuditBody,
  parseGrantBody,
  parsePageBody,
  parseReadBody,
  parseRegisterBody,
  parseRevokeBody,
  parseUploadBody,
  parseViewBody,
} from './messages/bodies';
import {
  parseAuditResult,
  parseGrantResult,
  parseListGrantsResult,
  parseListRecordsResult,
  parseReadResult,
  parseRegisterResult,
  parseRevokeResult,
  parseUploadResult,
  parseViewResult,
} from './messages/results';
import {
  parseFileFragmentsResult,
  parseFileGetResult,
  parseFileListResult,
  parseFileRevokeResult,
  parseFileShareResult,
  parseFileUploadResult,
  parseFileViewResult,
  parseSharedFileListResult,
} from './messages/file-results';
import { parseFileId, parseFileRevoke, parseFileShare, parseFileUpload, parseFileView } from './messages/files';
import {
  parseAccessListReadBody,
  parseAccessListReadResult,
  parseContributeBody,
  parseContributeResult,
  parseEmptyBody,
  parseListPatientsResult,
  parsePatientRecordsResult,
  parseProfileGetResult,
  parseProfileUpdateBody,
  parseProfileUpdateResult,
  parseRecordAuthorizationsResult,
  parseRecordIdBody,
  parseStudyIdBody,
  parseStudyListResult,
  parseStudyPublishBody,
  parseStudyPublishResult,
  parseStudyResult,
  parseUnwarrantBody,
  parseUnwarrantResult,
  parseWarrantBody,
  parseWarrantResult,
  parseWithdrawResult,
} from './messages/research';

import {
  parseIndicatorAggregatesResult,
  parseIndicatorJoinBody,
  parseIndicatorJoinResult,
  parseIndicatorLeaveResult,
  parseIndicatorSeriesBody,
  parseIndicatorSeriesResult,
  parseIndicatorStudyListResult,
  parseIndicatorStudyPublishBody,
  parseIndicatorStudyPublishResult,
  parseIndicatorStudyResult,
  parseIndicatorSubmitBody,
  parseIndicatorSubmitResult,
} from './messages/indicators';

/** The chaincode's contracts, as fabric-contract-api names them (`super('records')`). */
export type ContractName =
  'registry' | 'layer-keys' | 'records' | 'audit' | 'files' | 'access-lists' | 'app-policy' | 'indicators';

/** A Fabric transaction of the chaincode, and how it is called. */
export interface TransactionRef {
  readonly contract: ContractName;
  /** The method name: `@Transaction()` for submit, `@Transaction(false)` for evaluate. */
  readonly transaction: string;
  readonly call: 'submit' | 'evaluate';
}

interface OperationRow<B, R> extends TransactionRef {
  readonly parseBody: (value: unknown, name: string) => B;
  readonly parseResult: (value: unknown, name: string) => R;
}

/**
 * Adding an operation is one row here plus its two parsers (messages/bodies.ts,
 * messages/results.ts), and the contract transaction it names; everything else (the request's
 * `op`, the body and result types, the gateway's dispatch, the SDK's typed results, the
 * metadata test) follows from the row.
 */
export const OPERATION_TABLE = {
  register: {
    contract: 'registry',
    transaction: 'Register',
    call: 'submit',
    parseBody: parseRegisterBody,
    parseResult: parseRegisterResult,
  },
  upload: {
    contract: 'records',
    transaction: 'Upload',
    call: 'submit',
    parseBody: parseUploadBody,
    parseResult: parseUploadResult,
  },
  grant: {
    contract: 'records',
    transaction: 'Grant',
    call: 'submit',
    parseBody: parseGrantBody,
    parseResult: parseGrantResult,
  },
  revoke: {
    contract: 'records',
    transaction: 'Revoke',
    call: 'submit',
    parseBody: parseRevokeBody,
    parseResult: parseRevokeResult,
  },
  view: {
    contract: 'records',
    transaction: 'View',
    call: 'submit',
    parseBody: parseViewBody,
    parseResult: parseViewResult,
  },
  read: {
    contract: 'records',
    transaction: 'Read',
    call: 'evaluate',
    parseBody: parseReadBody,
    parseResult: parseReadResult,
  },
  'list-records': {
    contract: 'records',
    transaction: 'ListRecords',
    call: 'evaluate',
    parseBody: parsePageBody,
    parseResult: parseListRecordsResult,
  },
  'list-grants': {
    contract: 'records',
    transaction: 'ListGrants',
    call: 'evaluate',
    parseBody: parsePageBody,
    parseResult: parseListGrantsResult,
  },
  audit: {
    contract: 'audit',
    transaction: 'Audit',
    call: 'evaluate',
    parseBody: parseAuditBody,
    parseResult: parseAuditResult,
  },
  'file-upload': {
    contract: 'files',
    transaction: 'UploadFile',
    call: 'submit',
    parseBody: parseFileUpload,
    parseResult: parseFileUploadResult,
  },
  'file-share': {
    contract: 'files',
    transaction: 'ShareFile',
    call: 'submit',
    parseBody: parseFileShare,
    parseResult: parseFileShareResult,
  },
  'file-revoke': {
    contract: 'files',
    transaction: 'RevokeFileShare',
    call: 'submit',
    parseBody: parseFileRevoke,
    parseResult: parseFileRevokeResult,
  },
  'file-fragments': {
    contract: 'files',
    transaction: 'GetShare',
    call: 'evaluate',
    parseBody: parseFileId,
    parseResult: parseFileFragmentsResult,
  },
  'file-view': {
    contract: 'files',
    transaction: 'ViewFile',
    call: 'submit',
    parseBody: parseFileView,
    parseResult: parseFileViewResult,
  },
  'file-get': {
    contract: 'files',
    transaction: 'GetFile',
    call: 'evaluate',
    parseBody: parseFileId,
    parseResult: parseFileGetResult,
  },
  'file-list': {
    contract: 'files',
    transaction: 'ListFiles',
    call: 'evaluate',
    parseBody: parsePageBody,
    parseResult: parseFileListResult,
  },
  'file-list-shared': {
    contract: 'files',
    transaction: 'ListSharedFiles',
    call: 'evaluate',
    parseBody: parsePageBody,
    parseResult: parseSharedFileListResult,
  },
  // Research (docs/protocol.md §19).
  'profile-update': {
    contract: 'registry',
    transaction: 'UpdateProfile',
    call: 'submit',
    parseBody: parseProfileUpdateBody,
    parseResult: parseProfileUpdateResult,
  },
  'profile-get': {
    contract: 'registry',
    transaction: 'GetProfile',
    call: 'evaluate',
    parseBody: parseEmptyBody,
    parseResult: parseProfileGetResult,
  },
  'patient-records': {
    contract: 'registry',
    transaction: 'ListPatientRecords',
    call: 'evaluate',
    parseBody: parsePageBody,
    parseResult: parsePatientRecordsResult,
  },
  'list-patients': {
    contract: 'registry',
    transaction: 'ListPatients',
    call: 'evaluate',
    parseBody: parsePageBody,
    parseResult: parseListPatientsResult,
  },
  warrant: {
    contract: 'records',
    transaction: 'Warrant',
    call: 'submit',
    parseBody: parseWarrantBody,
    parseResult: parseWarrantResult,
  },
  unwarrant: {
    contract: 'records',
    transaction: 'Unwarrant',
    call: 'submit',
    parseBody: parseUnwarrantBody,
    parseResult: parseUnwarrantResult,
  },
  'record-authorizations': {
    contract: 'records',
    transaction: 'ListAuthorizations',
    call: 'evaluate',
    parseBody: parseRecordIdBody,
    parseResult: parseRecordAuthorizationsResult,
  },
  'study-publish': {
    contract: 'access-lists',
    transaction: 'PublishStudy',
    call: 'submit',
    parseBody: parseStudyPublishBody,
    parseResult: parseStudyPublishResult,
  },
  'study-get': {
    contract: 'access-lists',
    transaction: 'GetStudy',
    call: 'evaluate',
    parseBody: parseStudyIdBody,
    parseResult: parseStudyResult,
  },
  'study-list': {
    contract: 'access-lists',
    transaction: 'ListStudies',
    call: 'evaluate',
    parseBody: parsePageBody,
    parseResult: parseStudyListResult,
  },
  'access-list-read': {
    contract: 'access-lists',
    transaction: 'GetData',
    call: 'submit',
    parseBody: parseAccessListReadBody,
    parseResult: parseAccessListReadResult,
  },
  contribute: {
    contract: 'access-lists',
    transaction: 'Contribute',
    call: 'submit',
    parseBody: parseContributeBody,
    parseResult: parseContributeResult,
  },
  'contribution-withdraw': {
    contract: 'access-lists',
    transaction: 'WithdrawContribution',
    call: 'submit',
    parseBody: parseStudyIdBody,
    parseResult: parseWithdrawResult,
  },
  'contribution-replace': {
    contract: 'access-lists',
    transaction: 'ReplaceContribution',
    call: 'submit',
    parseBody: parseContributeBody,
    parseResult: parseContributeResult,
  },
  // Daily indicators (docs/protocol.md §21).
  'indicator-study-publish': {
    contract: 'indicators',
    transaction: 'PublishStudy',
    call: 'submit',
    parseBody: parseIndicatorStudyPublishBody,
    parseResult: parseIndicatorStudyPublishResult,
  },
  'indicator-study-get': {
    contract: 'indicators',
    transaction: 'GetStudy',
    call: 'evaluate',
    parseBody: parseStudyIdBody,
    parseResult: parseIndicatorStudyResult,
  },
  'indicator-study-list': {
    contract: 'indicators',
    transaction: 'ListStudies',
    call: 'evaluate',
    parseBody: parsePageBody,
    parseResult: parseIndicatorStudyListResult,
  },
  'indicator-join': {
    contract: 'indicators',
    transaction: 'Join',
    call: 'submit',
    parseBody: parseIndicatorJoinBody,
    parseResult: parseIndicatorJoinResult,
  },
  'indicator-submit': {
    contract: 'indicators',
    transaction: 'Submit',
    call: 'submit',
    parseBody: parseIndicatorSubmitBody,
    parseResult: parseIndicatorSubmitResult,
  },
  'indicator-leave': {
    contract: 'indicators',
    transaction: 'Leave',
    call: 'submit',
    parseBody: parseStudyIdBody,
    parseResult: parseIndicatorLeaveResult,
  },
  'indicator-aggregates': {
    contract: 'indicators',
    transaction: 'GetAggregates',
    call: 'submit',
    parseBody: parseStudyIdBody,
    parseResult: parseIndicatorAggregatesResult,
  },
  'indicator-series': {
    contract: 'indicators',
    transaction: 'GetSeries',
    call: 'submit',
    parseBody: parseIndicatorSeriesBody,
    parseResult: parseIndicatorSeriesResult,
  },
} as const satisfies Record<string, OperationRow<unknown, unknown>>;

export type Operation = keyof typeof OPERATION_TABLE;
export const OPERATIONS = Object.keys(OPERATION_TABLE) as readonly Operation[];
/** The request body an operation takes. */
export type BodyOf<O extends Operation> = ReturnType<(typeof OPERATION_TABLE)[O]['parseBody']>;
/** What the contract returns for an operation, in `ContractResponse.result`. */
export type ResultOf<O extends Operation> = ReturnType<(typeof OPERATION_TABLE)[O]['parseResult']>;

export function isOperation(value: string): value is Operation {
  return Object.hasOwn(OPERATION_TABLE, value);
}

/** The operation changes the ledger (submitted); otherwise it is evaluated. */
export function isSubmitted(op: Operation): boolean {
  return OPERATION_TABLE[op].call === 'submit';
}

/** Fabric's name of a transaction: `contract:Transaction`. */
export function qualifiedName(ref: TransactionRef): string {
  return `${ref.contract}:${ref.transaction}`;
}

export function parseBody<O extends Operation>(op: O, value: unknown, name: string): BodyOf<O> {
  return (OPERATION_TABLE[op].parseBody as (value: unknown, name: string) => BodyOf<O>)(value, name);
}

/**
 * Checks the contract's result for `op`. A result that does not parse is the contract's (or a
 * version skew's) fault, never the caller's: INTERNAL, as for any other contract answer that
 * cannot be used, with the field that failed in the message.
 */
export function parseResult<O extends Operation>(op: O, value: unknown, name = 'result'): ResultOf<O> {
  try {
    return (OPERATION_TABLE[op].parseResult as (value: unknown, name: string) => ResultOf<O>)(value, name);
  } catch (error) {
    if (!(error instanceof MedshareError)) throw error;
    throw new MedshareError({
      code: 'INTERNAL',
      message: `the contract's ${op} result is malformed: ${error.detail}`,
      cause: error,
    });
  }
}

/**
 * The transactions outside the signature chain (docs/protocol.md §7.5): plain string arguments,
 * plain JCS answers without sig4. The org admin's (approve, K3 register and retire, the admin
 * audit trail) and the directory's (a user's entry, an org's K3s).
 */
export const DIRECT_TRANSACTIONS = {
  approveUser: { contract: 'registry', transaction: 'ApproveUser', call: 'submit' },
  getUser: { contract: 'registry', transaction: 'GetUser', call: 'evaluate' },
  registerAccessKey: { contract: 'layer-keys', transaction: 'RegisterAccessKey', call: 'submit' },
  retireAccessKey: { contract: 'layer-keys', transaction: 'RetireAccessKey', call: 'submit' },
  listAccessKeys: { contract: 'layer-keys', transaction: 'ListAccessKeys', call: 'evaluate' },
  adminAuditTrail: { contract: 'audit', transaction: 'AdminAuditTrail', call: 'evaluate' },
  registerProxy: { contract: 'files', transaction: 'RegisterProxy', call: 'submit' },
  retireProxy: { contract: 'files', transaction: 'RetireProxy', call: 'submit' },
  listProxies: { contract: 'files', transaction: 'ListProxies', call: 'evaluate' },
  getShareForProxy: { contract: 'files', transaction: 'GetShareForProxy', call: 'evaluate' },
  adminStudyTrail: { contract: 'access-lists', transaction: 'AdminStudyTrail', call: 'evaluate' },
  // An org's app-version policy (docs/protocol.md §7.6): set by its admin, read by anyone.
  setAppPolicy: { contract: 'app-policy', transaction: 'SetAppPolicy', call: 'submit' },
  getAppPolicy: { contract: 'app-policy', transaction: 'GetAppPolicy', call: 'evaluate' },
  // An org admin of an indicator study's institution reads its audit trail (docs/protocol.md §21.6).
  adminIndicatorStudyTrail: { contract: 'indicators', transaction: 'AdminStudyTrail', call: 'evaluate' },
} as const satisfies Record<string, TransactionRef>;
