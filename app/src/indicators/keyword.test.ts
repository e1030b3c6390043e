// SPDX-License-Identifier: Apache-2.0
import { fromHex } from '@medshare/crypto/bytes';
import { generateKeyPair } from '@medshare/crypto/sm2';
import { checkOpening } from '@medshare/crypto/zk';
import { keyIdOf, keywordAttestationStatement, verifyFor } from '@medshare/protocol';
import { attestKeyword, checkKeywordHandoff, keywordScalarOf, normalizeKeyword, parseKeywordHandoff } from './keyword';

describe("the doctor's keyword attestation (docs/protocol.md §21.2)", () => {
  const doctor = generateKeyPair();
  const patient = generateKeyPair();
  const patientKeyId = keyIdOf(patient.publicKey);

  it('normalizes a code to upper case and refuses what is no code', () => {
    expect(normalizeKeyword(' i10 ')).toBe('I10');
    expect(normalizeKeyword('e11.9')).toBe('E11.9');
    for (const bad of ['', 'I 10', '.I10', 'x'.repeat(21), 'I10;']) {
      expect(() => normalizeKeyword(bad)).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
    }
  });

  it("commits to the keyword's scalar and signs {patientKeyId, commitment} with the doctor's key", () => {
    const h = attestKeyword(doctor, { patientKeyId, keyword: 'i10' });
    expect(h.keyword).toBe('I10');
    expect(h.attestation.doctorKeyId).toBe(keyIdOf(doctor.publicKey));
    expect(checkOpening(fromHex(h.attestation.commitment), keywordScalarOf('I10'), BigInt(`0x${h.blinding}`))).toBe(
      true,
    );
    expect(checkOpening(fromHex(h.attestation.commitment), keywordScalarOf('I11'), BigInt(`0x${h.blinding}`))).toBe(
      false,
    );
    const statement = keywordAttestationStatement(patientKeyId, h.attestation.commitment);
    expect(verifyFor('keyword-attestation', doctor.publicKey, statement, h.attestation.signature)).toBe(true);
    // a fresh blinding each time: the same keyword gives unlinkable commitments
    expect(attestKeyword(doctor, { patientKeyId, keyword: 'I10' }).attestation.commitment).not.toBe(
      h.attestation.commitment,
    );
    expect(parseKeywordHandoff(JSON.parse(JSON.stringify(h)))).toEqual(h);
  });

  it("the patient's check refuses another patient's, a wrong opening, another doctor and a bad signature", () => {
    const h = attestKeyword(doctor, { patientKeyId, keyword: 'I10' });
    expect(() => checkKeywordHandoff(h, patientKeyId, doctor.publicKey)).not.toThrow();
    const invalid = expect.objectContaining({ code: 'KEYWORD_ATTESTATION_INVALID' });
    const flip = (hex: string): string => hex.slice(0, -1) + (hex.endsWith('0') ? '1' : '0');
    expect(() => checkKeywordHandoff(h, keyIdOf(generateKeyPair().publicKey), doctor.publicKey)).toThrow(invalid);
    expect(() => checkKeywordHandoff({ ...h, keyword: 'I11' }, patientKeyId, doctor.publicKey)).toThrow(invalid);
    expect(() => checkKeywordHandoff({ ...h, blinding: flip(h.blinding) }, patientKeyId, doctor.publicKey)).toThrow(
      invalid,
    );
    expect(() => checkKeywordHandoff(h, patientKeyId, generateKeyPair().publicKey)).toThrow(invalid);
    const forged = { ...h, attestation: { ...h.attestation, signature: flip(h.attestation.signature) } };
    expect(() => checkKeywordHandoff(forged, patientKeyId, doctor.publicKey)).toThrow(invalid);
  });

  it('refuses a malformed handoff file', () => {
    const h = attestKeyword(doctor, { patientKeyId, keyword: 'I10' });
    expect(() => parseKeywordHandoff({ ...h, extra: 1 })).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
    expect(() => parseKeywordHandoff({ ...h, blinding: 'zz' })).toThrow(/blinding/);
    expect(() => parseKeywordHandoff({ ...h, keyword: 'i10' })).toThrow(/keyword/);
  });
});
