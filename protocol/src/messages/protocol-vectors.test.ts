// SPDX-License-Identifier: Apache-2.0
/**
 * medshare's protocol implementation against the known answers in test/vectors/protocol.json,
 * which scripts/vectors/generate-protocol-vectors.mjs computes with independent code
 * (canonicalize, sm-crypto, node:crypto, the openssl CLI). docs/protocol.md, "Test vectors".
 */
import { CiphertextError } from '@medshare/crypto/errors';
import { fromBase64, fromHex, toBase64, toHex, utf8 } from '@medshare/crypto/bytes';
import { open } from '@medshare/crypto/sealed-box';
import {
  decrypt,
  privateKeyFromPem,
  privateKeyToPem,
  publicKeyFromPem,
  publicKeyFromPrivate,
  publicKeyToPem,
  zA,
} from '@medshare/crypto/sm2';
import { sm3 } from '@medshare/crypto/sm3';
import { encryptWithK, sealWithIv, signWithK } from '@medshare/crypto/testing';
import vectors from '../../../test/vectors/protocol.json';
import { parseKeyFile } from '../keyfile/keyfile';
import {
  canonicalize,
  chainPayload,
  decryptKeyFile,
  eventAad,
  parseDeliveredEvent,
  type DeliveredEvent,
  keyIdOf,
  parseContractOutput,
  parseRequest,
  requestHash,
  signDeterministicFor,
  signedBytes,
  verifyFor,
  parseLoginChallenge,
  verifyLoginAssertion,
  type AnyRequest,
  type ContractResponse,
  type UploadBody,
  actorKey,
  claimedActor,
  contributionEntryId,
  ringScope,
  warrantEntryId,
} from '../index';

const { keys, canonical, sealedBox, keyWrap, sig1, chain, sig4, recordId, keyFile, sealedEvent, login } = vectors;
const request = canonical.request.value as unknown as AnyRequest;
const response = sig4.response as unknown as ContractResponse;

/** Flips the lowest bit of the hex byte at `index`. */
function flipHexByte(text: string, index: number): string {
  const byte = (parseInt(text.slice(2 * index, 2 * index + 2), 16) ^ 1).toString(16).padStart(2, '0');
  return text.slice(0, 2 * index) + byte + text.slice(2 * index + 2);
}

describe('protocol vectors: keys', () => {
  it('derives both public keys and their key ids (SM3 of 04 ‖ x ‖ y)', () => {
    expect(publicKeyFromPrivate(keys.user.privateKey)).toBe(keys.user.publicKey);
    expect(publicKeyFromPrivate(keys.contract.privateKey)).toBe(keys.contract.publicKey);
    expect(keyIdOf(keys.user.publicKey)).toBe(keys.user.keyId);
    expect(keyIdOf(keys.contract.publicKey)).toBe(keys.contract.keyId);
  });

  it('writes and reads the SPKI and PKCS#8 PEM encodings byte for byte', () => {
    expect(publicKeyToPem(keys.user.publicKey)).toBe(keys.user.spkiPem);
    expect(publicKeyFromPem(keys.user.spkiPem)).toBe(keys.user.publicKey);
    expect(privateKeyToPem(keys.user.privateKey)).toBe(keys.user.pkcs8Pem);
    expect(privateKeyFromPem(keys.user.pkcs8Pem)).toBe(keys.user.privateKey);
  });
});

describe('protocol vectors: canonical encoding', () => {
  it('canonicalizes the sample request and hashes it', () => {
    expect(canonicalize(canonical.request.value)).toBe(canonical.request.canonical);
    expect(toHex(sm3(utf8(canonical.request.canonical)))).toBe(canonical.request.sm3);
    expect(requestHash(request)).toBe(canonical.request.sm3);
  });

  it('an upload with an idempotency key: the optional member sorts into the body, and the request parses', () => {
    const keyed = canonical.keyedUpload;
    expect(canonicalize(keyed.value)).toBe(keyed.canonical);
    expect(requestHash(keyed.value as unknown as AnyRequest)).toBe(keyed.sm3);
    const parsed = parseRequest(keyed.value);
    expect(canonicalize(parsed)).toBe(keyed.canonical);
    expect((parsed.body as UploadBody).idempotencyKey).toMatch(/^[0-9a-f]{64}$/);
    // The same sealed record as the sample upload: only the key, nonce and times differ.
    const { idempotencyKey: _key, ...rest } = parsed.body as UploadBody;
    expect(rest).toEqual(request.body);
  });

  it('a request stating its app version: the optional member sorts between appId and body, parses, and sig1 covers it', () => {
    const versioned = canonical.versionedRequest;
    expect(canonicalize(versioned.value)).toBe(versioned.canonical);
    const parsed = parseRequest(versioned.value);
    expect(canonicalize(parsed)).toBe(versioned.canonical);
    expect(parsed.appVersion).toBe('1.4.2-rc.1+build.7');
    expect(requestHash(parsed)).toBe(versioned.sm3);
    expect(toHex(signedBytes('sig1', parsed))).toBe(versioned.sig1SignedBytes);
    const { appVersion: _version, ...unversioned } = parsed;
    expect(requestHash(unversioned as AnyRequest)).not.toBe(versioned.sm3);
  });

  it('the sample request is a valid upload request', () => {
    expect(canonicalize(parseRequest(canonical.request.value))).toBe(canonical.request.canonical);
    const body = request.body as UploadBody;
    expect(toHex(sm3(fromBase64(body.ciphertext)))).toBe(body.contentHash);
    expect(body.ownerKeyWrap).toBe(keyWrap.ciphertext);
    expect('keyId' in request && request.keyId).toBe(keys.user.keyId);
  });

  it('canonicalizes the RFC 8785 corner cases (ordering by UTF-16 units, escapes, -0, safe integers)', () => {
    expect(canonicalize(JSON.parse(canonical.corners.json))).toBe(canonical.corners.canonical);
  });
});

describe('protocol vectors: an anonymous (ring) request (§6, §19)', () => {
  const ring = canonical.ringRequest;
  const parsed = parseRequest(ring.value);

  it('parses, canonicalizes and hashes as the vector says; sig1 covers the same bytes as a key request', () => {
    expect(canonicalize(parsed)).toBe(ring.canonical);
    expect(requestHash(parsed)).toBe(ring.sm3);
    expect(toHex(signedBytes('sig1', parsed))).toBe(ring.sig1SignedBytes);
    expect(ring.sig1HexLength).toBe(2 * (33 + 32 * (1 + ring.value.ring.members.length)));
  });

  it('derives the scope, the actor and the entry ids', () => {
    const { studyId } = ring.value.body;
    expect(Buffer.from(ringScope(studyId)).toString('utf8')).toBe(ring.scopeUtf8);
    expect(actorKey(claimedActor(parsed))).toBe(ring.actorKey);
    expect(warrantEntryId(ring.warrantEntry.recordId, studyId)).toBe(ring.warrantEntry.entryId);
    expect(contributionEntryId(ring.value.ring.keyImage, studyId)).toBe(ring.contributionEntryId);
  });
});

describe('protocol vectors: login (§7.7)', () => {
  const challenge = parseLoginChallenge(login.challenge);
  const { signed } = login;
  const check = {
    trustedAccessKeys: [keys.accessLayer.publicKey],
    now: login.assertion.issuedAt,
    appId: 'hospital-a.app',
  };

  it('builds the login signed bytes, verifies the sm-crypto signature and reproduces it with the vector k', () => {
    expect(toHex(signedBytes('login', challenge))).toBe(login.signedBytes);
    expect(verifyFor('login', keys.user.publicKey, challenge, login.signature)).toBe(true);
    expect(
      toHex(signWithK(keys.user.privateKey, keys.user.publicKey, fromHex(login.signedBytes), BigInt(`0x${login.k}`))),
    ).toBe(login.signature);
  });

  it.each(Object.keys(login.challenge))(
    'a login signature does not verify for a challenge with another %s',
    (field) => {
      const value = (login.challenge as Record<string, unknown>)[field];
      const changed =
        typeof value === 'number'
          ? value + 1
          : `${String(value).slice(0, -1)}${String(value).endsWith('0') ? '1' : '0'}`;
      expect(verifyFor('login', keys.user.publicKey, { ...challenge, [field]: changed }, login.signature)).toBe(false);
    },
  );

  it('a login signature is not a sig1, and the assertion signature is not a directory signature', () => {
    expect(verifyFor('sig1', keys.user.publicKey, challenge, login.signature)).toBe(false);
    expect(verifyFor('directory', keys.accessLayer.publicKey, login.assertion, login.signed.sig3)).toBe(false);
  });

  it('the assertion: its signed bytes, the K3 signature reproduced with the vector k, verified offline', () => {
    expect(toHex(signedBytes('login-assertion', login.assertion))).toBe(login.assertionSignedBytes);
    expect(
      toHex(
        signWithK(
          keys.accessLayer.privateKey,
          keys.accessLayer.publicKey,
          fromHex(login.assertionSignedBytes),
          BigInt(`0x${login.assertionK}`),
        ),
      ),
    ).toBe(login.signed.sig3);
    expect(keyIdOf(keys.accessLayer.publicKey)).toBe(login.signed.k3Id);
    expect(verifyLoginAssertion(signed, check)).toEqual(login.assertion);
    expect(() => verifyLoginAssertion({ ...signed, sig3: flipHexByte(login.signed.sig3, 10) }, check)).toThrow(
      expect.objectContaining({ code: 'LOGIN_ASSERTION_INVALID' }),
    );
  });
});

describe('protocol vectors: signatures', () => {
  it('builds the sig1 signed bytes: "medshare/v1/sig1\\n" ‖ JCS(request)', () => {
    expect(toHex(signedBytes('sig1', request))).toBe(sig1.signedBytes);
  });

  it('computes Z_A with the default user id', () => {
    expect(toHex(zA(sig1.publicKey))).toBe(sig1.zA);
  });

  it('verifies sig1 made by sm-crypto, and rejects tampered copies', () => {
    expect(verifyFor('sig1', sig1.publicKey, request, sig1.signature)).toBe(true);
    expect(
      verifyFor('sig1', sig1.publicKey, { ...request, nonce: flipHexByte(request.nonce, 0) }, sig1.signature),
    ).toBe(false);
    expect(verifyFor('sig1', sig1.publicKey, { ...request, expiresAt: request.expiresAt - 1 }, sig1.signature)).toBe(
      false,
    );
    expect(verifyFor('sig1', sig1.publicKey, request, flipHexByte(sig1.signature, 63))).toBe(false);
    expect(verifyFor('sig2', sig1.publicKey, request, sig1.signature)).toBe(false);
    expect(verifyFor('sig1', keys.contract.publicKey, request, sig1.signature)).toBe(false);
  });

  it('reproduces sig1 byte for byte with the vector k', () => {
    const signature = signWithK(
      keys.user.privateKey,
      keys.user.publicKey,
      fromHex(sig1.signedBytes),
      BigInt(`0x${sig1.k}`),
    );
    expect(toHex(signature)).toBe(sig1.signature);
  });

  it('builds the signed bytes of sig2 and sig3 over {request, sig1}', () => {
    const payload = chainPayload(request, sig1.signature);
    expect(canonicalize(payload)).toBe(chain.payloadCanonical);
    expect(toHex(signedBytes('sig2', payload))).toBe(chain.sig2SignedBytes);
    expect(toHex(signedBytes('sig3', payload))).toBe(chain.sig3SignedBytes);
  });

  it('makes the deterministic sig4 (RFC 6979 with HMAC-SM3) exactly, and the sig5 signed bytes', () => {
    const key = { privateKey: keys.contract.privateKey, publicKey: keys.contract.publicKey };
    expect(toHex(signedBytes('sig4', response))).toBe(sig4.signedBytes);
    expect(signDeterministicFor('sig4', key, response)).toBe(sig4.signature);
    expect(verifyFor('sig4', sig4.publicKey, response, sig4.signature)).toBe(true);
    expect(verifyFor('sig4', sig4.publicKey, { ...response, at: response.at + 1 }, sig4.signature)).toBe(false);
    expect(canonicalize({ response, sig4: sig4.signature })).toBe(sig4.output);
    const output = parseContractOutput(sig4.output);
    expect(output.sig4).toBe(sig4.signature);
    expect(toHex(signedBytes('sig5', output))).toBe(sig4.sig5SignedBytes);
  });

  it('derives the record id from the transaction id', () => {
    expect(toHex(sm3(utf8(`medshare/v1/record\n${recordId.txId}`)))).toBe(recordId.recordId);
    expect((response.result as { recordId: string }).recordId).toBe(recordId.recordId);
  });
});

describe('protocol vectors: sealed box', () => {
  const key = fromHex(sealedBox.key);
  const aad = utf8(sealedBox.aadUtf8);
  const plaintext = utf8(sealedBox.plaintextUtf8);

  it('opens the vector', () => {
    expect(toHex(open(key, fromHex(sealedBox.sealed), aad))).toBe(toHex(plaintext));
  });

  it('seals to identical bytes with the vector IV', () => {
    expect(toHex(sealWithIv(key, plaintext, aad, fromHex(sealedBox.iv)))).toBe(sealedBox.sealed);
  });

  it('refuses a wrong AAD, a flipped ciphertext byte and a flipped tag byte', () => {
    expect(() => open(key, fromHex(sealedBox.sealed), utf8(`${sealedBox.aadUtf8}!`))).toThrow('MAC check failed');
    expect(() => open(key, fromHex(flipHexByte(sealedBox.sealed, 20)), aad)).toThrow('MAC check failed');
    expect(() => open(key, fromHex(flipHexByte(sealedBox.sealed, sealedBox.sealed.length / 2 - 1)), aad)).toThrow(
      'MAC check failed',
    );
  });
});

describe('protocol vectors: a sealed access notification (§14)', () => {
  const key = fromHex(sealedEvent.sessionKey);
  const sealed = Buffer.from(sealedEvent.data, 'base64');
  const openEvent = (sessionId: string, id: string, bytes: Uint8Array = sealed): DeliveredEvent =>
    parseDeliveredEvent(JSON.parse(Buffer.from(open(key, bytes, eventAad(sessionId, id))).toString('utf8')));

  it('builds the AAD, opens the vector to the event and reseals it byte for byte', () => {
    expect(Buffer.from(eventAad(sealedEvent.sessionId, sealedEvent.id)).toString('utf8')).toBe(sealedEvent.aadUtf8);
    expect(openEvent(sealedEvent.sessionId, sealedEvent.id)).toEqual(sealedEvent.event);
    expect(canonicalize(sealedEvent.event)).toBe(sealedEvent.eventJcs);
    const again = sealWithIv(
      key,
      utf8(sealedEvent.eventJcs),
      eventAad(sealedEvent.sessionId, sealedEvent.id),
      fromHex(sealedEvent.iv),
    );
    expect(Buffer.from(again).toString('base64')).toBe(sealedEvent.data);
  });

  it('refuses it under another session id, another event id, or with any ciphertext or tag byte flipped', () => {
    expect(() => openEvent(`${sealedEvent.sessionId.slice(0, -1)}0`, sealedEvent.id)).toThrow('MAC check failed');
    expect(() => openEvent(sealedEvent.sessionId, '42-2')).toThrow('MAC check failed');
    for (const at of [0, 16, 40, sealed.length - 1]) {
      const tampered = Buffer.from(sealed);
      tampered[at] = (tampered[at] as number) ^ 1;
      expect(() => openEvent(sealedEvent.sessionId, sealedEvent.id, tampered)).toThrow(CiphertextError); // version byte, IV, body or tag
    }
  });
});

describe('protocol vectors: SM2 key wrap', () => {
  it('decrypts the sm-crypto ciphertext (04 ‖ C1 ‖ C3 ‖ C2) to the record key', () => {
    expect(toHex(decrypt(keyWrap.recipientPrivateKey, fromHex(keyWrap.ciphertext)))).toBe(keyWrap.plaintext);
  });

  it('encrypts to identical bytes with the vector k', () => {
    expect(toHex(encryptWithK(keyWrap.recipientPublicKey, fromHex(keyWrap.plaintext), BigInt(`0x${keyWrap.k}`)))).toBe(
      keyWrap.ciphertext,
    );
  });

  it('the wrapped key is the sealed-box key', () => {
    expect(keyWrap.plaintext).toBe(sealedBox.key);
  });
});

describe('protocol vectors: key file', () => {
  it('parses the key file and decrypts it with the (NFD-spelled) passphrase', async () => {
    expect(parseKeyFile(keyFile.file)).toEqual(keyFile.file);
    await expect(decryptKeyFile(keyFile.file, keyFile.passphrase)).resolves.toEqual({
      privateKey: keys.user.privateKey,
      publicKey: keys.user.publicKey,
      keyId: keys.user.keyId,
    });
  });

  it('its sealed field is the sealed box of the private key under the scrypt key, with the canonical header as AAD', () => {
    const sealed = sealWithIv(
      fromHex(keyFile.derivedKey),
      fromHex(keys.user.privateKey),
      utf8(keyFile.aadCanonical),
      fromHex(keyFile.iv),
    );
    expect(toBase64(sealed)).toBe(keyFile.file.sealed);
  });

  it('refuses a wrong passphrase', async () => {
    await expect(decryptKeyFile(keyFile.file, `${keyFile.passphrase}x`)).rejects.toMatchObject({
      code: 'CIPHERTEXT_INVALID',
    });
  });
});
