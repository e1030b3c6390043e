// SPDX-License-Identifier: Apache-2.0
import { canonicalize } from '../encoding/canonical';
import {
  compareEventPositions,
  formatEventId,
  parseAuditEvent,
  parseDeliveredEvent,
  parseEventId,
  parseSubscribeEnvelope,
} from './events';

const EVENT = {
  v: 1,
  action: 'grant',
  recordId: 'b'.repeat(64),
  owner: 'a'.repeat(64),
  actorKeyId: 'a'.repeat(64),
  subjectKeyId: 'c'.repeat(64),
  org: 'Org1MSP',
  txId: 'f'.repeat(64),
  at: 1,
};

describe('audit events and event ids', () => {
  it('parse strictly: unknown fields, a subject on a view or none on a grant are refused', () => {
    expect(parseAuditEvent(EVENT)).toEqual(EVENT);
    expect(canonicalize(parseAuditEvent(JSON.parse(canonicalize(EVENT)) as unknown) as never)).toBe(
      canonicalize(EVENT),
    );
    expect(() => parseAuditEvent({ ...EVENT, patientId: 'x' })).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT' }) as Error,
    );
    expect(() => parseAuditEvent({ ...EVENT, action: 'view' })).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT' }) as Error,
    );
    const { subjectKeyId: _, ...withoutSubject } = EVENT;
    expect(() => parseAuditEvent(withoutSubject)).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }) as Error);
    expect(() => parseAuditEvent({ ...EVENT, v: 2 })).toThrow(
      expect.objectContaining({ code: 'UNSUPPORTED_VERSION' }) as Error,
    );
    expect(parseDeliveredEvent({ ...EVENT, id: '12-3' })).toEqual({ ...EVENT, id: '12-3' });
  });

  it('ids are "<block>-<index>" in one spelling, ordered by block then index', () => {
    expect(parseEventId('12-3')).toEqual({ block: 12, index: 3 });
    expect(formatEventId({ block: 0, index: 0 })).toBe('0-0');
    for (const bad of ['012-3', '12-03', '12', '-1-0', '1-0 ', 'a-b', '99999999999999999-0']) {
      expect(() => parseEventId(bad)).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }) as Error);
    }
    const sorted = ['10-0', '2-5', '2-10', '2-0']
      .map((id) => parseEventId(id))
      .sort(compareEventPositions)
      .map(formatEventId);
    expect(sorted).toEqual(['2-0', '2-5', '2-10', '10-0']);
  });

  it('a subscribe envelope has an empty body and the request fields of any request', () => {
    const request = {
      v: 1,
      op: 'subscribe',
      body: {},
      nonce: '0'.repeat(32),
      issuedAt: 1,
      expiresAt: 2,
      appId: 'hospital-1.app',
      keyId: 'a'.repeat(64),
    };
    const envelope = { request, sig1: '1'.repeat(128), sig2: '2'.repeat(128), k2Id: 'd'.repeat(64) };
    expect(parseSubscribeEnvelope(envelope)).toEqual(envelope);
    expect(() => parseSubscribeEnvelope({ ...envelope, request: { ...request, body: { after: '1-0' } } })).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT' }) as Error,
    );
    expect(() => parseSubscribeEnvelope({ ...envelope, request: { ...request, op: 'view' } })).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT' }) as Error,
    );
    expect(() =>
      parseSubscribeEnvelope({ ...envelope, request: { ...request, expiresAt: 1 + 5 * 60 * 1000 + 1 } }),
    ).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }) as Error);
  });
});
