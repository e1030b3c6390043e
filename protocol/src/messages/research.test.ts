// SPDX-License-Identifier: Apache-2.0
import { toBase64, toHex, utf8 } from '@medshare/crypto/bytes';
import { ringSignatureLength } from '@medshare/crypto/ring';
import { sm3 } from '@medshare/crypto/sm3';
import { encrypt, generateKeyPair } from '@medshare/crypto/sm2';
import { ACCESS_ENTRY_LABEL } from '../labels';
import { parseResult } from '../operations';
import { newRingRequest, parseRequest } from './request';
import { contributionEntryId, EXTRACT_MAX_BYTES, warrantEntryId } from './research';
import { claimedActor, RING_MAX, RING_MIN, ringScope } from './ring';
import { parseAppEnvelope } from './signed';

const studyId = 'a'.repeat(64);
const wrap = toHex(encrypt(generateKeyPair().publicKey, new Uint8Array(32)));
const members = Array.from({ length: 4 }, (_, i) => (i + 1).toString(16).padStart(64, '0'));
const keyImage = `02${'c'.repeat(64)}`;
const sealed = (bytes: number): string => toBase64(new Uint8Array(bytes));

const ring = {
  v: 1,
  op: 'contribute',
  body: { studyId, extract: sealed(100), extractKeyWrap: wrap },
  nonce: '0'.repeat(32),
  issuedAt: 1_700_000_000_000,
  expiresAt: 1_700_000_060_000,
  appId: 'hospital-1.app',
  ring: { members, keyImage },
};
const withMembers = (m: unknown): object => ({ ...ring, ring: { members: m, keyImage } });

describe('ring requests', () => {
  it('parse to a copy; newRingRequest builds one; the actor is the key image in the study', () => {
    expect(parseRequest(ring)).toEqual(ring);
    const built = newRingRequest({
      op: 'contribution-withdraw',
      body: { studyId },
      appId: 'app',
      ring: ring.ring,
      now: 5,
    });
    expect(parseRequest(JSON.parse(JSON.stringify(built)))).toEqual(built);
    expect(claimedActor(parseRequest(ring))).toEqual({ kind: 'ring', keyImage, scope: studyId });
    expect(Buffer.from(ringScope(studyId)).toString('utf8')).toBe(`medshare/v1/ring-scope\n${studyId}`);
  });

  it.each([
    ['too few members', withMembers(members.slice(0, RING_MIN - 1)), 'RING_SIZE_INVALID'],
    [
      'too many members',
      withMembers(Array.from({ length: RING_MAX + 1 }, (_, i) => i.toString(16).padStart(64, '0'))),
      'RING_SIZE_INVALID',
    ],
    ['a member twice', withMembers([members[0], members[0], members[2], members[3]]), 'RING_MEMBER_DUPLICATE'],
    ['members out of order', withMembers([members[1], members[0], members[2], members[3]]), 'INVALID_INPUT'],
    ['a member that is no key id', withMembers([members[0], members[1], members[2], 'F'.repeat(64)]), 'INVALID_INPUT'],
    ['members that are no array', withMembers('x'), 'INVALID_INPUT'],
    [
      'a key image that is no compressed point',
      { ...ring, ring: { members, keyImage: `04${'c'.repeat(64)}` } },
      'INVALID_INPUT',
    ],
    ['keyId beside ring', { ...ring, keyId: members[0] }, 'INVALID_INPUT'],
    ['no ring', { ...ring, ring: undefined }, 'INVALID_INPUT'],
    ['a ring on a key operation', { ...ring, op: 'study-get', body: { studyId }, keyId: members[0] }, 'INVALID_INPUT'],
  ])('refuse %s', (_name, value, code) => {
    expect(() => parseRequest(value)).toThrow(expect.objectContaining({ code }));
  });

  it("sig1 is the hex of a ring signature of the ring's size", () => {
    const sig1 = 'ab'.repeat(ringSignatureLength(4));
    const envelope = { request: ring, sig1, sig2: 'cd'.repeat(64), k2Id: 'e'.repeat(64) };
    expect(parseAppEnvelope(envelope).sig1).toBe(sig1);
    for (const bad of [sig1.slice(2), `${sig1}ab`, 'cd'.repeat(64), sig1.toUpperCase()])
      expect(() => parseAppEnvelope({ ...envelope, sig1: bad })).toThrow(
        expect.objectContaining({ code: 'INVALID_INPUT' }),
      );
  });
});

describe('research bodies and results', () => {
  it('an extract larger than EXTRACT_MAX_BYTES is EXTRACT_TOO_LARGE; the limit itself and a sealed box minimum hold', () => {
    const body = (extract: string): object => ({ ...ring, body: { ...ring.body, extract } });
    expect(() => parseRequest(body(sealed(EXTRACT_MAX_BYTES)))).not.toThrow();
    expect(() => parseRequest(body(sealed(EXTRACT_MAX_BYTES + 1)))).toThrow(
      expect.objectContaining({ code: 'EXTRACT_TOO_LARGE' }),
    );
    expect(() => parseRequest(body('A'.repeat(20_000)))).toThrow(
      expect.objectContaining({ code: 'EXTRACT_TOO_LARGE' }),
    );
    expect(() => parseRequest(body(sealed(48)))).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
    expect(() => parseRequest(body('not base64!'))).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
  });

  it('entry ids are SM3 of the access-entry label, the record id or key image, and the study', () => {
    const recordId = 'b'.repeat(64);
    expect(warrantEntryId(recordId, studyId)).toBe(toHex(sm3(utf8(`${ACCESS_ENTRY_LABEL}${recordId}\n${studyId}`))));
    expect(contributionEntryId(keyImage, studyId)).toBe(
      toHex(sm3(utf8(`medshare/v1/access-entry\n${keyImage}\n${studyId}`))),
    );
    expect(warrantEntryId(recordId, studyId)).not.toBe(warrantEntryId(recordId, 'c'.repeat(64)));
  });

  it('results are parsed strictly', () => {
    const entry = { entryId: studyId, kind: 'contribution', extract: sealed(64), extractKeyWrap: wrap, addedAt: 1 };
    expect(parseResult('access-list-read', { entries: [entry], bookmark: '' })).toEqual({
      entries: [entry],
      bookmark: '',
    });
    expect(() => parseResult('access-list-read', { entries: [{ ...entry, recordId: studyId }], bookmark: '' })).toThrow(
      expect.objectContaining({ code: 'INTERNAL' }),
    );
    expect(() => parseResult('contribute', { studyId, keyImage: 'x', entryId: studyId, contributedAt: 1 })).toThrow(
      expect.objectContaining({ code: 'INTERNAL' }),
    );
  });
});

describe('study-publish bodies', () => {
  const keyRequest = (study: object): object => ({
    ...ring,
    op: 'study-publish',
    body: { study },
    ring: undefined,
    keyId: 'b'.repeat(64),
  });
  const study = { title: 'no k', fields: [{ field: 'age', rule: 'band', width: 5 }], closesAt: 9 };

  it('parse as sent, k absent when it was (the signatures are checked over the parse)', () => {
    const request = JSON.parse(JSON.stringify(keyRequest(study))) as object;
    expect(parseRequest(request)).toEqual(request);
    const withK = JSON.parse(JSON.stringify(keyRequest({ ...study, k: 7 }))) as object;
    expect(parseRequest(withK)).toEqual(withK);
  });
});
