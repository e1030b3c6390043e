// SPDX-License-Identifier: Apache-2.0
import { fail, type KeyOperation, type KeywordAttestation } from '@medshare/protocol';
import { assertEnvironment } from '../../environment/environment';
import { assertSig1, type Authenticated } from '../../signature-chain/authenticate';
import type { RecordState } from '../../state/model';
import type { LedgerState } from '../../state/state';
import { requireUser } from '../registry/tables';
import { grants, records } from './tables';

/** How long after a committed view the data may be read by evaluation. */
export const ACCESS_TICKET_TTL_MS = 10 * 60 * 1000;

export async function requireRecord(state: LedgerState, recordId: string): Promise<RecordState> {
  const record = await records.get(state, { recordId });
  if (!record) throw fail('RECORD_NOT_FOUND', `no record ${recordId}`);
  return record;
}

/** Grant, revoke, audit: the request must name the owner and carry the owner's sig1. */
export async function ownerOnly(
  state: LedgerState,
  auth: Authenticated<KeyOperation>,
  recordId: string,
): Promise<RecordState> {
  const record = await requireRecord(state, recordId);
  if (auth.request.keyId !== record.owner) throw fail('NOT_OWNER', 'request.keyId is not the owner of the record');
  const owner = await requireUser(state, record.owner);
  assertSig1(owner.publicKey, auth.envelope, 'the record owner');
  return record;
}

/**
 * View and read: the request names its author's key id, so finding the target key is one
 * lookup (owner, or the grant under that key id) and one SM2 verification, whatever the
 * number of grantees. Then the environment check (docs/protocol.md §7.6): the owner is the
 * holder, a grantee the receiver.
 */
export async function ownerOrGrantee(
  state: LedgerState,
  auth: Authenticated<KeyOperation>,
  recordId: string,
): Promise<{ record: RecordState; keyWrap: string }> {
  const record = await requireRecord(state, recordId);
  const keyId = auth.request.keyId;
  let keyWrap = record.ownerKeyWrap;
  if (keyId !== record.owner) {
    const grant = await grants.get(state, { recordId, granteeKeyId: keyId });
    if (!grant) throw fail('NOT_AUTHORIZED', 'request.keyId is neither the owner nor a current grantee of the record');
    keyWrap = grant.keyWrap;
  }
  const author = await requireUser(state, keyId);
  assertSig1(author.publicKey, auth.envelope, keyId === record.owner ? 'the record owner' : 'the grantee');
  await assertEnvironment(state, auth, {
    holder: record.owner,
    ...(keyId === record.owner ? {} : { receiver: keyId }),
  });
  return { record, keyWrap };
}

/** An upload repeating an earlier one: same patient, sealed content, key wrap, metadata and keyword attestation. */
export function sameUpload(record: RecordState, body: Authenticated<'upload'>['request']['body']): boolean {
  return (
    record.patientId === body.patientId &&
    record.contentHash === body.contentHash &&
    record.ownerKeyWrap === body.ownerKeyWrap &&
    record.metadata.kind === body.metadata.kind &&
    record.metadata.createdAt === body.metadata.createdAt &&
    sameAttestation(record.keywordAttestation, body.keywordAttestation)
  );
}

function sameAttestation(a: KeywordAttestation | undefined, b: KeywordAttestation | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.commitment === b.commitment && a.doctorKeyId === b.doctorKeyId && a.signature === b.signature;
}
