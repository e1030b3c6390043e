// SPDX-License-Identifier: Apache-2.0
import { toHex } from '@medshare/crypto/bytes';
import { encrypt, generateKeyPair } from '@medshare/crypto/sm2';
import { keyIdOf } from '../keys/key-id';
import { parseCodedMessage } from '../errors/medshare-error';
import { assertFresh, checkClockSkew, parseRequest } from './request';
import { signFor, verifyFor } from './signed';

const keys = generateKeyPair();
const base = {
  v: 1,
  op: 'view',
  body: { recordId: 'a'.repeat(64) },
  nonce: '0'.repeat(32),
  issuedAt: 1_700_000_000_000,
  expiresAt: 1_700_000_060_000,
  appId: 'hospital-1.app',
  keyId: keyIdOf(keys.publicKey),
};

describe('request validation', () => {
  it('accepts a well-formed request and returns a copy', () => {
    expect(parseRequest(base)).toEqual(base);
  });

  it.each([
    [{ ...base, extra: true }, 'INVALID_INPUT', /request.extra is not an allowed field/],
    [{ ...base, body: { recordId: 'a'.repeat(64), more: 1 } }, 'INVALID_INPUT', /request.body.more/],
    [{ ...base, v: 2 }, 'UNSUPPORTED_VERSION', /request.v/],
    [{ ...base, op: 'delete' }, 'INVALID_INPUT', /request.op must be one of/],
    [{ ...base, nonce: 'XYZ' }, 'INVALID_INPUT', /request.nonce/],
    [{ ...base, expiresAt: base.issuedAt }, 'INVALID_INPUT', /expiresAt must be after/],
    [{ ...base, expiresAt: base.issuedAt + 10 * 60_000 }, 'INVALID_INPUT', /lifetime/],
    [{ ...base, issuedAt: 1.5 }, 'INVALID_INPUT', /issuedAt must be an integer/],
    [{ ...base, body: { recordId: 'A'.repeat(64) } }, 'INVALID_INPUT', /recordId has the wrong format/],
    [[], 'INVALID_INPUT', /request must be an object/],
  ])('rejects %#', (value, code, message) => {
    expect(() => parseRequest(value)).toThrow(
      expect.objectContaining({ code, message: expect.stringMatching(message) }),
    );
  });

  it('an upload may carry an idempotency key (64 hex); without one the body is unchanged', () => {
    const upload = {
      ...base,
      op: 'upload',
      body: {
        patientId: 'b'.repeat(64),
        ciphertext: 'AAAA',
        contentHash: 'c'.repeat(64),
        ownerKeyWrap: toHex(encrypt(generateKeyPair().publicKey, new Uint8Array(32))),
        metadata: { kind: 'lab-result', createdAt: 1 },
      },
    };
    expect(parseRequest(upload)).toEqual(upload);
    expect(parseRequest(upload).body).not.toHaveProperty('idempotencyKey');
    const keyed = { ...upload, body: { ...upload.body, idempotencyKey: 'e'.repeat(64) } };
    expect(parseRequest(keyed)).toEqual(keyed);
    for (const bad of ['E'.repeat(64), 'e'.repeat(63), 42, null]) {
      expect(() => parseRequest({ ...upload, body: { ...upload.body, idempotencyKey: bad } })).toThrow(
        expect.objectContaining({
          code: 'INVALID_INPUT',
          message: expect.stringMatching(/request\.body\.idempotencyKey/),
        }),
      );
    }
  });

  it('checks freshness against a clock: the skew ahead (the clock-skew check), then the expiry', () => {
    expect(() => assertFresh(base, base.expiresAt + 1)).toThrow(expect.objectContaining({ code: 'REQUEST_EXPIRED' }));
    expect(() => assertFresh(base, base.issuedAt - 60_001)).toThrow(
      expect.objectContaining({ code: 'CLOCK_SKEW', message: expect.stringMatching(/check clock-skew: .*ahead/) }),
    );
    expect(() => assertFresh(base, base.issuedAt - 60_000)).not.toThrow();
    expect(() => assertFresh(base, base.issuedAt)).not.toThrow();
    // The ledger's clock bounds only the skew ahead; the past is the expiry's.
    expect(() => assertFresh({ ...base, expiresAt: base.issuedAt + 300_000 }, base.issuedAt + 61_000)).not.toThrow();
  });

  it('the gateway bounds the skew in both directions', () => {
    expect(() => checkClockSkew(base.issuedAt, base.issuedAt + 60_000, 'both')).not.toThrow();
    expect(() => checkClockSkew(base.issuedAt, base.issuedAt + 60_001, 'both')).toThrow(
      expect.objectContaining({ code: 'CLOCK_SKEW', message: expect.stringMatching(/behind/) }),
    );
    expect(() => checkClockSkew(base.issuedAt, base.issuedAt - 60_001, 'both')).toThrow(
      expect.objectContaining({ code: 'CLOCK_SKEW', message: expect.stringMatching(/ahead/) }),
    );
  });

  it('takes an optional appVersion (strict SemVer), refuses a malformed one', () => {
    const versioned = { ...base, appVersion: '1.4.0-rc.1+build.7' };
    expect(parseRequest(versioned)).toEqual(versioned);
    expect(parseRequest(base)).not.toHaveProperty('appVersion');
    for (const bad of ['v1.4.0', '1.4', '01.4.0', '1.4.0-', '1.4.0-01', '', 'x'.repeat(65), 140, null]) {
      expect(() => parseRequest({ ...base, appVersion: bad })).toThrow(
        expect.objectContaining({ code: 'INVALID_INPUT', message: expect.stringMatching(/request\.appVersion/) }),
      );
    }
  });
});

describe('signature domains', () => {
  it('a signature for one link does not verify as another', () => {
    const signature = signFor('sig1', keys, base);
    expect(verifyFor('sig1', keys.publicKey, base, signature)).toBe(true);
    expect(verifyFor('sig2', keys.publicKey, base, signature)).toBe(false);
    expect(verifyFor('sig1', keys.publicKey, { ...base, nonce: '1'.repeat(32) }, signature)).toBe(false);
    expect(verifyFor('sig1', keys.publicKey, base, 'zz')).toBe(false);
  });
});

describe('coded messages', () => {
  it('extracts a known code from a Fabric-wrapped message and ignores unknown ones', () => {
    expect(
      parseCodedMessage('10 ABORTED: failed to endorse: chaincode response 500, NOT_OWNER: signer is not the owner'),
    ).toEqual({
      code: 'NOT_OWNER',
      message: 'signer is not the owner',
    });
    expect(parseCodedMessage('SOMETHING_ELSE: nope')).toBeUndefined();
    expect(parseCodedMessage('plain failure')).toBeUndefined();
  });
});
