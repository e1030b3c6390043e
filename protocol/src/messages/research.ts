// SPDX-License-Identifier: Apache-2.0
/**
 * Bodies and results of the research operations (docs/protocol.md §6, §7.3, §19): the patient's
 * sealed profile and append-only record list, warrants of a record to an institution's study,
 * studies, the institution's access list, and anonymous (ring-signed) contributions. One strict
 * parser each, shared by the chaincode, the gateway and the SDK.
 */
import { toHex, utf8 } from '@medshare/crypto/bytes';
import { SEALED_OVERHEAD } from '@medshare/crypto/sealed-box';
import { sm3 } from '@medshare/crypto/sm3';
import { fail } from '../errors/medshare-error';
import type { ErrorCode } from '../errors/codes';
import { ACCESS_ENTRY_LABEL } from '../labels';
import {
  parseStudyDefinition,
  parseStudyInput,
  type StudyDefinition,
  type StudyDefinitionInput,
} from '../research/study';
import { expectInteger, expectObject, expectOneOf, expectString, HEX_PUBLIC_KEY } from '../validation/assert';
import {
  BASE64_TEXT,
  bookmark,
  hex64,
  KEY_WRAP,
  KIND,
  MAX_PAGE_SIZE,
  parseKeyWrap,
  parsePageBody,
  type PageBody,
} from './bodies';
import { KEY_IMAGE } from './ring';

/** Largest sealed research extract (decoded bytes), and largest sealed profile. */
export const EXTRACT_MAX_BYTES = 8192;
export const PROFILE_MAX_BYTES = 8192;
/** Most authorizations `record-authorizations` lists of each kind (one record's doctors, its warrants). */
export const MAX_AUTHORIZATIONS = 1000;

// ---- sealed values ---------------------------------------------------------------------------

/** The decoded length of padded standard base64 text (its format is checked separately). */
function base64Bytes(text: string): number {
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  return (text.length / 4) * 3 - padding;
}

/**
 * A sealed box (§8) as padded base64 of SEALED_OVERHEAD … `max` decoded bytes. Too large is
 * `tooLarge` (checked first, on the length alone); any other malformation INVALID_INPUT.
 */
function sealedBase64(value: unknown, name: string, max: number, tooLarge: ErrorCode): string {
  const text = expectString(value, name, { maxLength: 64 * 1024 * 1024 });
  const maxText = Math.ceil(max / 3) * 4;
  if (text.length > maxText || (text.length % 4 === 0 && BASE64_TEXT.test(text) && base64Bytes(text) > max))
    throw fail(tooLarge, `${name} must be at most ${max} bytes (sealed), base64`);
  if (text.length % 4 !== 0 || !BASE64_TEXT.test(text))
    throw fail('INVALID_INPUT', `${name} must be padded standard base64`);
  if (base64Bytes(text) < SEALED_OVERHEAD) throw fail('INVALID_INPUT', `${name} is shorter than a sealed box`);
  return text;
}

const extract = (v: unknown, name: string): string => sealedBase64(v, name, EXTRACT_MAX_BYTES, 'EXTRACT_TOO_LARGE');
const time = (v: unknown, name: string): number => expectInteger(v, name);
const keyImage = (v: unknown, name: string): string => expectString(v, name, { pattern: KEY_IMAGE });

// ---- ids -------------------------------------------------------------------------------------

/** A warrant's access-list entry: hex SM3(ACCESS_ENTRY_LABEL ‖ recordId ‖ "\n" ‖ studyId). */
export function warrantEntryId(recordId: string, studyId: string): string {
  return toHex(sm3(utf8(`${ACCESS_ENTRY_LABEL}${recordId}\n${studyId}`)));
}

/** A contribution's access-list entry: hex SM3(ACCESS_ENTRY_LABEL ‖ keyImage hex ‖ "\n" ‖ studyId). */
export function contributionEntryId(keyImageHex: string, studyId: string): string {
  return toHex(sm3(utf8(`${ACCESS_ENTRY_LABEL}${keyImageHex}\n${studyId}`)));
}

// ---- bodies ----------------------------------------------------------------------------------

export type ProfileUpdateBody = {
  /** The profile sealed (§8) for the patient, base64, AAD = PROFILE_LABEL ‖ keyId. */
  readonly sealedProfile: string;
  /** The profile's data key wrapped (§4) to the patient's own K1. */
  readonly profileKeyWrap: string;
};
export type EmptyBody = Record<string, never>;
export type WarrantBody = {
  readonly recordId: string;
  readonly studyId: string;
  readonly institutionKeyId: string;
  /** The research extract sealed for the institution, base64, ≤ EXTRACT_MAX_BYTES decoded. */
  readonly extract: string;
  /** The extract's data key wrapped to the institution's K1. */
  readonly extractKeyWrap: string;
};
export type UnwarrantBody = { readonly recordId: string; readonly studyId: string; readonly institutionKeyId: string };
export type RecordIdBody = { readonly recordId: string };
/** The definition as the institution signed it (`k` may be absent; the contract stores it completed). */
export type StudyPublishBody = { readonly study: StudyDefinitionInput };
export type StudyIdBody = { readonly studyId: string };
export type AccessListReadBody = PageBody & { readonly studyId: string };
export type ContributeBody = { readonly studyId: string; readonly extract: string; readonly extractKeyWrap: string };

export function parseProfileUpdateBody(value: unknown, name: string): ProfileUpdateBody {
  const o = expectObject(value, name, ['sealedProfile', 'profileKeyWrap']);
  return {
    sealedProfile: sealedBase64(o.sealedProfile, `${name}.sealedProfile`, PROFILE_MAX_BYTES, 'PAYLOAD_TOO_LARGE'),
    profileKeyWrap: parseKeyWrap(o.profileKeyWrap, `${name}.profileKeyWrap`),
  };
}

export function parseEmptyBody(value: unknown, name: string): EmptyBody {
  expectObject(value, name, []);
  return {};
}

export function parseWarrantBody(value: unknown, name: string): WarrantBody {
  const o = expectObject(value, name, ['recordId', 'studyId', 'institutionKeyId', 'extract', 'extractKeyWrap']);
  return {
    recordId: hex64(o.recordId, `${name}.recordId`),
    studyId: hex64(o.studyId, `${name}.studyId`),
    institutionKeyId: hex64(o.institutionKeyId, `${name}.institutionKeyId`),
    extract: extract(o.extract, `${name}.extract`),
    extractKeyWrap: parseKeyWrap(o.extractKeyWrap, `${name}.extractKeyWrap`),
  };
}

export function parseUnwarrantBody(value: unknown, name: string): UnwarrantBody {
  const o = expectObject(value, name, ['recordId', 'studyId', 'institutionKeyId']);
  return {
    recordId: hex64(o.recordId, `${name}.recordId`),
    studyId: hex64(o.studyId, `${name}.studyId`),
    institutionKeyId: hex64(o.institutionKeyId, `${name}.institutionKeyId`),
  };
}

export function parseRecordIdBody(value: unknown, name: string): RecordIdBody {
  const o = expectObject(value, name, ['recordId']);
  return { recordId: hex64(o.recordId, `${name}.recordId`) };
}

export function parseStudyPublishBody(value: unknown, name: string): StudyPublishBody {
  const o = expectObject(value, name, ['study']);
  return { study: parseStudyInput(o.study, `${name}.study`) };
}

export function parseStudyIdBody(value: unknown, name: string): StudyIdBody {
  const o = expectObject(value, name, ['studyId']);
  return { studyId: hex64(o.studyId, `${name}.studyId`) };
}

export function parseAccessListReadBody(value: unknown, name: string): AccessListReadBody {
  const o = expectObject(value, name, ['studyId', 'pageSize', 'bookmark']);
  const { pageSize, bookmark: mark } = parsePageBody({ pageSize: o.pageSize, bookmark: o.bookmark }, name);
  return { studyId: hex64(o.studyId, `${name}.studyId`), pageSize, bookmark: mark };
}

/** contribute and contribution-replace. */
export function parseContributeBody(value: unknown, name: string): ContributeBody {
  const o = expectObject(value, name, ['studyId', 'extract', 'extractKeyWrap']);
  return {
    studyId: hex64(o.studyId, `${name}.studyId`),
    extract: extract(o.extract, `${name}.extract`),
    extractKeyWrap: parseKeyWrap(o.extractKeyWrap, `${name}.extractKeyWrap`),
  };
}

// ---- results ---------------------------------------------------------------------------------

export type ProfileUpdateResult = { readonly keyId: string; readonly updatedAt: number };
export type ProfileGetResult = {
  readonly sealedProfile: string;
  readonly profileKeyWrap: string;
  readonly updatedAt: number;
};
/** One row of a patient's append-only record list, oldest first. */
export type PatientRecordItem = {
  readonly recordId: string;
  readonly kind: string;
  readonly uploadedAt: number;
};
export type PatientRecordsResult = { readonly records: PatientRecordItem[]; readonly bookmark: string };
export type PatientItem = { readonly keyId: string; readonly publicKey: string };
export type ListPatientsResult = { readonly patients: PatientItem[]; readonly bookmark: string };
export type WarrantResult = {
  readonly recordId: string;
  readonly studyId: string;
  readonly institutionKeyId: string;
  readonly entryId: string;
  readonly warrantedAt: number;
};
export type UnwarrantResult = {
  readonly recordId: string;
  readonly studyId: string;
  readonly institutionKeyId: string;
  readonly unwarrantedAt: number;
};
export type DoctorAuthorization = { readonly granteeKeyId: string; readonly grantedAt: number };
export type InstitutionAuthorization = {
  readonly institutionKeyId: string;
  readonly studyId: string;
  readonly warrantedAt: number;
};
export type RecordAuthorizationsResult = {
  readonly doctors: DoctorAuthorization[];
  readonly institutions: InstitutionAuthorization[];
};
export type StudyPublishResult = {
  readonly studyId: string;
  readonly institutionKeyId: string;
  readonly publishedAt: number;
};
export type StudyResult = {
  readonly studyId: string;
  readonly institutionKeyId: string;
  readonly study: StudyDefinition;
  readonly publishedAt: number;
  /** At the answer's time: the study takes warrants and contributions (not past `closesAt`). */
  readonly open: boolean;
};
export type StudyListResult = { readonly studies: StudyResult[]; readonly bookmark: string };
export const ACCESS_ENTRY_KINDS = ['warrant', 'contribution'] as const;
export type AccessEntryKind = (typeof ACCESS_ENTRY_KINDS)[number];
export type AccessEntry = {
  readonly entryId: string;
  readonly kind: AccessEntryKind;
  readonly extract: string;
  readonly extractKeyWrap: string;
  readonly addedAt: number;
};
export type AccessListReadResult = { readonly entries: AccessEntry[]; readonly bookmark: string };
export type ContributeResult = {
  readonly studyId: string;
  readonly keyImage: string;
  readonly entryId: string;
  readonly contributedAt: number;
};
export type WithdrawResult = { readonly studyId: string; readonly keyImage: string; readonly withdrawnAt: number };

/** `{<items>: [...], bookmark}` with at most `max` items, each checked by `item`. */
function listOf<T>(
  value: unknown,
  name: string,
  member: string,
  item: (value: unknown, name: string) => T,
  max = MAX_PAGE_SIZE,
): T[] {
  if (!Array.isArray(value) || value.length > max)
    throw fail('INVALID_INPUT', `${name}.${member} must be an array of at most ${max}`);
  return value.map((v: unknown, i) => item(v, `${name}.${member}[${i}]`));
}

export function page<K extends string, T>(
  value: unknown,
  name: string,
  member: K,
  item: (value: unknown, name: string) => T,
): { [P in K]: T[] } & { bookmark: string } {
  const o = expectObject(value, name, [member, 'bookmark']);
  return {
    [member]: listOf(o[member], name, member, item),
    bookmark: bookmark(o.bookmark, `${name}.bookmark`),
  } as { [P in K]: T[] } & { bookmark: string };
}

export function parseProfileUpdateResult(value: unknown, name: string): ProfileUpdateResult {
  const o = expectObject(value, name, ['keyId', 'updatedAt']);
  return { keyId: hex64(o.keyId, `${name}.keyId`), updatedAt: time(o.updatedAt, `${name}.updatedAt`) };
}

export function parseProfileGetResult(value: unknown, name: string): ProfileGetResult {
  const o = expectObject(value, name, ['sealedProfile', 'profileKeyWrap', 'updatedAt']);
  return {
    sealedProfile: sealedBase64(o.sealedProfile, `${name}.sealedProfile`, PROFILE_MAX_BYTES, 'PAYLOAD_TOO_LARGE'),
    profileKeyWrap: expectString(o.profileKeyWrap, `${name}.profileKeyWrap`, { pattern: KEY_WRAP }),
    updatedAt: time(o.updatedAt, `${name}.updatedAt`),
  };
}

function patientRecordItem(value: unknown, name: string): PatientRecordItem {
  const o = expectObject(value, name, ['recordId', 'kind', 'uploadedAt']);
  return {
    recordId: hex64(o.recordId, `${name}.recordId`),
    kind: expectString(o.kind, `${name}.kind`, { pattern: KIND }),
    uploadedAt: time(o.uploadedAt, `${name}.uploadedAt`),
  };
}

export function parsePatientRecordsResult(value: unknown, name: string): PatientRecordsResult {
  return page(value, name, 'records', patientRecordItem);
}

function patientItem(value: unknown, name: string): PatientItem {
  const o = expectObject(value, name, ['keyId', 'publicKey']);
  return {
    keyId: hex64(o.keyId, `${name}.keyId`),
    publicKey: expectString(o.publicKey, `${name}.publicKey`, { pattern: HEX_PUBLIC_KEY }),
  };
}

export function parseListPatientsResult(value: unknown, name: string): ListPatientsResult {
  return page(value, name, 'patients', patientItem);
}

export function parseWarrantResult(value: unknown, name: string): WarrantResult {
  const o = expectObject(value, name, ['recordId', 'studyId', 'institutionKeyId', 'entryId', 'warrantedAt']);
  return {
    ...parseUnwarrantBody({ recordId: o.recordId, studyId: o.studyId, institutionKeyId: o.institutionKeyId }, name),
    entryId: hex64(o.entryId, `${name}.entryId`),
    warrantedAt: time(o.warrantedAt, `${name}.warrantedAt`),
  };
}

export function parseUnwarrantResult(value: unknown, name: string): UnwarrantResult {
  const o = expectObject(value, name, ['recordId', 'studyId', 'institutionKeyId', 'unwarrantedAt']);
  return {
    ...parseUnwarrantBody({ recordId: o.recordId, studyId: o.studyId, institutionKeyId: o.institutionKeyId }, name),
    unwarrantedAt: time(o.unwarrantedAt, `${name}.unwarrantedAt`),
  };
}

function doctorAuthorization(value: unknown, name: string): DoctorAuthorization {
  const o = expectObject(value, name, ['granteeKeyId', 'grantedAt']);
  return {
    granteeKeyId: hex64(o.granteeKeyId, `${name}.granteeKeyId`),
    grantedAt: time(o.grantedAt, `${name}.grantedAt`),
  };
}

function institutionAuthorization(value: unknown, name: string): InstitutionAuthorization {
  const o = expectObject(value, name, ['institutionKeyId', 'studyId', 'warrantedAt']);
  return {
    institutionKeyId: hex64(o.institutionKeyId, `${name}.institutionKeyId`),
    studyId: hex64(o.studyId, `${name}.studyId`),
    warrantedAt: time(o.warrantedAt, `${name}.warrantedAt`),
  };
}

export function parseRecordAuthorizationsResult(value: unknown, name: string): RecordAuthorizationsResult {
  const o = expectObject(value, name, ['doctors', 'institutions']);
  return {
    doctors: listOf(o.doctors, name, 'doctors', doctorAuthorization, MAX_AUTHORIZATIONS),
    institutions: listOf(o.institutions, name, 'institutions', institutionAuthorization, MAX_AUTHORIZATIONS),
  };
}

export function parseStudyPublishResult(value: unknown, name: string): StudyPublishResult {
  const o = expectObject(value, name, ['studyId', 'institutionKeyId', 'publishedAt']);
  return {
    studyId: hex64(o.studyId, `${name}.studyId`),
    institutionKeyId: hex64(o.institutionKeyId, `${name}.institutionKeyId`),
    publishedAt: time(o.publishedAt, `${name}.publishedAt`),
  };
}

export function parseStudyResult(value: unknown, name: string): StudyResult {
  const o = expectObject(value, name, ['studyId', 'institutionKeyId', 'study', 'publishedAt', 'open']);
  if (typeof o.open !== 'boolean') throw fail('INVALID_INPUT', `${name}.open must be a boolean`);
  return {
    studyId: hex64(o.studyId, `${name}.studyId`),
    institutionKeyId: hex64(o.institutionKeyId, `${name}.institutionKeyId`),
    study: parseStudyDefinition(o.study, `${name}.study`),
    publishedAt: time(o.publishedAt, `${name}.publishedAt`),
    open: o.open,
  };
}

export function parseStudyListResult(value: unknown, name: string): StudyListResult {
  return page(value, name, 'studies', parseStudyResult);
}

function accessEntry(value: unknown, name: string): AccessEntry {
  const o = expectObject(value, name, ['entryId', 'kind', 'extract', 'extractKeyWrap', 'addedAt']);
  return {
    entryId: hex64(o.entryId, `${name}.entryId`),
    kind: expectOneOf(o.kind, `${name}.kind`, ACCESS_ENTRY_KINDS),
    extract: extract(o.extract, `${name}.extract`),
    extractKeyWrap: expectString(o.extractKeyWrap, `${name}.extractKeyWrap`, { pattern: KEY_WRAP }),
    addedAt: time(o.addedAt, `${name}.addedAt`),
  };
}

export function parseAccessListReadResult(value: unknown, name: string): AccessListReadResult {
  return page(value, name, 'entries', accessEntry);
}

export function parseContributeResult(value: unknown, name: string): ContributeResult {
  const o = expectObject(value, name, ['studyId', 'keyImage', 'entryId', 'contributedAt']);
  return {
    studyId: hex64(o.studyId, `${name}.studyId`),
    keyImage: keyImage(o.keyImage, `${name}.keyImage`),
    entryId: hex64(o.entryId, `${name}.entryId`),
    contributedAt: time(o.contributedAt, `${name}.contributedAt`),
  };
}

export function parseWithdrawResult(value: unknown, name: string): WithdrawResult {
  const o = expectObject(value, name, ['studyId', 'keyImage', 'withdrawnAt']);
  return {
    studyId: hex64(o.studyId, `${name}.studyId`),
    keyImage: keyImage(o.keyImage, `${name}.keyImage`),
    withdrawnAt: time(o.withdrawnAt, `${name}.withdrawnAt`),
  };
}
