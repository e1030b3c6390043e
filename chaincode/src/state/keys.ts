// SPDX-License-Identifier: Apache-2.0
/**
 * Composite-key layout (docs/protocol.md "Ledger state"). One key per fact, so concurrent
 * requests touch disjoint keys and do not collide on MVCC.
 */
export const KEY = {
  user: 'medshare.user', // [keyId]
  pseudonym: 'medshare.pseudonym', // [role, pseudonym] → {keyId}
  accessKey: 'medshare.k3', // [mspId, keyId]
  record: 'medshare.record', // [recordId]
  recordData: 'medshare.record-data', // [recordId] → the sealed bytes, kept apart from metadata
  ownerIndex: 'medshare.owner-record', // [ownerKeyId, recordId]
  grant: 'medshare.grant', // [recordId, granteeKeyId]
  granteeIndex: 'medshare.grantee-record', // [granteeKeyId, recordId]
  nonce: 'medshare.nonce', // [authorKeyId, nonce]
  uploadKey: 'medshare.upload-key', // [ownerKeyId, idempotencyKey] → {recordId}: scoped to the owner
  audit: 'medshare.audit', // [recordId, at (16 digits), txId]
  access: 'medshare.access', // [recordId, actor, txId]: actorKey, a key actor's key id
  file: 'medshare.file', // [fileId] → a large file's descriptor (the bytes are off-chain)
  fileOwner: 'medshare.owner-file', // [ownerKeyId, fileId]
  proxy: 'medshare.proxy', // [proxyId] → a re-encryption proxy's key
  fileShare: 'medshare.file-share', // [fileId, receiverKeyId] → threshold and sealed key fragments
  fileShareReceiver: 'medshare.receiver-file', // [receiverKeyId, fileId]
  fileAccess: 'medshare.file-access', // [fileId, actor, txId] → {at, txId, proxies}
  // Research (docs/protocol.md §19).
  profile: 'medshare.profile', // [patientKeyId] → the patient's sealed profile
  patientRecord: 'medshare.patient-record', // [patientKeyId, uploadedAt (16 digits), recordId]: append-only
  warrant: 'medshare.warrant', // [recordId, institutionKeyId, studyId]: a record's institution authorizations
  study: 'medshare.study', // [studyId] → a published study
  accessEntry: 'medshare.access-entry', // [studyId, entryId] → a warrant's or a contribution's sealed extract
  studyAudit: 'medshare.study-audit', // [studyId, at (16 digits), txId] → who published, read or contributed
  appPolicy: 'medshare.app-policy', // [mspId] → the org's app-version policy (docs/protocol.md §7.6)
  // Daily indicators (docs/protocol.md §21).
  indicatorStudy: 'medshare.indicator-study', // [studyId] → a published indicator study
  indicatorCount: 'medshare.indicator-count', // [studyId] → {participants}: the current participants
  indicatorParticipant: 'medshare.indicator-participant', // [studyId, keyId] → pseudonym, record, joined/left
  indicatorTotal: 'medshare.indicator-total', // simple key <studyId>/<pseudonym> → a participant's running sums
  indicatorDay: 'medshare.indicator-day', // [studyId, pseudonym, day (8 digits)] → one day's ciphertexts
} as const;

/** Zero-padded so a participant's days sort in order (day numbers stay below 10^8). */
export function sortableDay(day: number): string {
  return String(day).padStart(8, '0');
}

/** Zero-padded so audit entries sort by time within a record. */
export function sortableTime(ms: number): string {
  return String(ms).padStart(16, '0');
}
