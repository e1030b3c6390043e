// SPDX-License-Identifier: Apache-2.0
import { KEY } from '../../state/keys';
import {
  parseAccessTicket,
  parseGrant,
  parseGranteeIndex,
  parseOwnerIndex,
  parseRecord,
  parseRecordData,
  parseUploadKey,
  parseWarrant,
  type GrantState,
  type RecordState,
} from '../../state/model';
import { index, Table } from '../../state/table';

/** A patient's records: `medshare.owner-record [ownerKeyId, recordId]`, kept with each record. */
export const ownerIndex = new Table({ type: KEY.ownerIndex, key: ['ownerKeyId', 'recordId'], parse: parseOwnerIndex });

/** Record metadata: `medshare.record [recordId]`, indexed under its owner. */
export const records = new Table({
  type: KEY.record,
  key: ['recordId'],
  parse: parseRecord,
  indexes: [
    index(ownerIndex, (key: { recordId: string }, record: RecordState) => ({
      key: { ownerKeyId: record.owner, recordId: key.recordId },
      row: {
        recordId: key.recordId,
        kind: record.metadata.kind,
        createdAt: record.metadata.createdAt,
        uploadedAt: record.uploadedAt,
      },
    })),
  ],
});

/** The sealed bytes, kept apart from the metadata: `medshare.record-data [recordId]`. */
export const recordData = new Table({ type: KEY.recordData, key: ['recordId'], parse: parseRecordData });

/** What a grantee was granted: `medshare.grantee-record [granteeKeyId, recordId]`, kept with each grant. */
export const granteeIndex = new Table({
  type: KEY.granteeIndex,
  key: ['granteeKeyId', 'recordId'],
  parse: parseGranteeIndex,
});

/** A record's authorization list: `medshare.grant [recordId, granteeKeyId]`, indexed under the grantee. */
export const grants = new Table({
  type: KEY.grant,
  key: ['recordId', 'granteeKeyId'],
  parse: parseGrant,
  indexes: [
    index(granteeIndex, (key: { recordId: string; granteeKeyId: string }, grant: GrantState) => ({
      key: { granteeKeyId: key.granteeKeyId, recordId: key.recordId },
      row: { recordId: key.recordId, grantedAt: grant.grantedAt },
    })),
  ],
});

/** Upload idempotency keys, scoped to the owner: `medshare.upload-key [ownerKeyId, idempotencyKey] → {recordId}`. */
export const uploadKeys = new Table({
  type: KEY.uploadKey,
  key: ['ownerKeyId', 'idempotencyKey'],
  parse: parseUploadKey,
});

/** Committed views, read by Read: `medshare.access [recordId, actor, txId] → {at, txId}`. */
export const accessTickets = new Table({
  type: KEY.access,
  key: ['recordId', 'actor', 'txId'],
  parse: parseAccessTicket,
});

/**
 * A record's institution authorizations: `medshare.warrant [recordId, institutionKeyId, studyId]`,
 * written and deleted with the study's access-list entry in the same transaction.
 */
export const warrants = new Table({
  type: KEY.warrant,
  key: ['recordId', 'institutionKeyId', 'studyId'],
  parse: parseWarrant,
});
