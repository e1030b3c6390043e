// SPDX-License-Identifier: Apache-2.0
import { generateKeyPair } from '@medshare/crypto/sm2';
import { keyIdOf } from '../keys/key-id';
import { parseLoginChallenge, parseLoginResponse, verifyLoginAssertion, type LoginAssertion } from './login';
import { signFor } from './signed';

const k3 = generateKeyPair();
const other = generateKeyPair();
const NOW = 1_800_000_000_000;
const assertion: LoginAssertion = {
  v: 1,
  keyId: 'a'.repeat(64),
  role: 'doctor',
  userOrg: 'Org2MSP',
  appId: 'hospital-1.app',
  gatewayOrg: 'Org1MSP',
  nonce: 'c'.repeat(64),
  issuedAt: NOW,
  expiresAt: NOW + 3_600_000,
};
const signed = { assertion, k3Id: keyIdOf(k3.publicKey), sig3: signFor('login-assertion', k3, assertion) };
const check = { trustedAccessKeys: [other.publicKey, k3.publicKey], now: NOW + 1000, appId: 'hospital-1.app' };

describe('login assertions, verified offline', () => {
  it('a K3-signed assertion for this app, within its window, verifies', () => {
    expect(verifyLoginAssertion(signed, check)).toEqual(assertion);
    expect(verifyLoginAssertion(signed, { ...check, now: assertion.expiresAt })).toEqual(assertion);
  });

  it.each(Object.keys(assertion))('a changed %s is refused', (field) => {
    const value = assertion[field as keyof LoginAssertion];
    const changed =
      typeof value === 'number'
        ? value + 1
        : field === 'role'
          ? 'institution'
          : field === 'v'
            ? 2
            : value.replace(/^./, (c) => (c === 'a' ? 'b' : 'a'));
    expect(() => verifyLoginAssertion({ ...signed, assertion: { ...assertion, [field]: changed } }, check)).toThrow(
      expect.objectContaining({ code: 'LOGIN_ASSERTION_INVALID' }),
    );
  });

  it.each([
    [
      'another K3 signed it',
      { ...signed, sig3: signFor('login-assertion', other, assertion) },
      check,
      /does not verify/,
    ],
    ['an untrusted K3', signed, { ...check, trustedAccessKeys: [other.publicKey] }, /not trusted/],
    ['signed under another label', { ...signed, sig3: signFor('directory', k3, assertion) }, check, /does not verify/],
    ['another app', signed, { ...check, appId: 'hospital-2.app' }, /for app hospital-1.app/],
    ['expired', signed, { ...check, now: assertion.expiresAt + 1 }, /expired/],
    ['issued in the future', signed, { ...check, now: NOW - 60_001 }, /future/],
    ['an unknown member', { ...signed, extra: 1 }, check, /does not parse/],
  ])('refused: %s', (_what, value, against, message) => {
    expect(() => verifyLoginAssertion(value, against)).toThrow(
      expect.objectContaining({ code: 'LOGIN_ASSERTION_INVALID', message: expect.stringMatching(message) }),
    );
  });
});

describe('login messages', () => {
  const challenge = {
    v: 1,
    nonce: 'd'.repeat(64),
    sessionId: 'e'.repeat(32),
    appId: 'hospital-1.app',
    keyId: 'a'.repeat(64),
    org: 'Org1MSP',
    issuedAt: NOW,
    expiresAt: NOW + 60_000,
  };

  it('parse exactly their members', () => {
    expect(parseLoginChallenge(challenge)).toEqual(challenge);
    expect(parseLoginResponse({ v: 1, challenge, signature: 'f'.repeat(128) })).toMatchObject({ challenge });
    expect(() => parseLoginChallenge({ ...challenge, extra: 1 })).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT' }),
    );
    expect(() => parseLoginResponse({ v: 1, challenge, signature: 'F'.repeat(128) })).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT', message: expect.stringMatching(/login.signature/) }),
    );
  });
});
