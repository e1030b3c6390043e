// SPDX-License-Identifier: Apache-2.0
import { utf8 } from '../bytes';
import { verifyMembership, proveMembership } from './membership';
import { commit, keywordScalar, proveOpening, verifyOpening } from './pedersen';
import { proveRange, verifyRange } from './range-proof';
import { twistedEncrypt, twistedKeyGen } from './twisted-elgamal';
import { proveValid, verifyValid } from './validity';

// The module object itself (not an import namespace), whose functions the code calls through.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const nodeCrypto = require('node:crypto') as typeof import('node:crypto');

/**
 * The verifiers run in the chaincode, where every endorser must reach the same answer: they may
 * not draw randomness. Both of Node's sources are made to throw while they run.
 */
describe('the verifiers use no randomness', () => {
  const context = utf8('study 7 / 2026-12-01');
  const keywords = ['I10', 'I11', 'E11'].map(utf8);
  const keyword = commit(keywordScalar(keywords[1] as Uint8Array));
  const opening = commit(42n);
  const keys = twistedKeyGen();
  const encryption = twistedEncrypt(keys.publicKey, 120n);
  const ciphertexts = [encryption.ciphertext];
  const openings = [{ value: 120n, randomness: encryption.randomness }];
  const ranges = [{ lo: 90n, hi: 180n }];
  const proofs = {
    opening: proveOpening({ ...opening, value: 42n, context }),
    membership: proveMembership({ ...keyword, keywords, keyword: keywords[1] as Uint8Array, context }),
    validity: proveValid({ publicKey: keys.publicKey, ciphertexts, openings, context }),
    range: proveRange({ publicKey: keys.publicKey, ciphertexts, openings, ranges, bits: 8, context }),
  };

  it('verifies all four proofs with crypto.getRandomValues and randomBytes throwing', () => {
    const thrower = (): never => {
      throw new Error('a verifier asked for randomness');
    };
    const web = jest.spyOn(globalThis.crypto, 'getRandomValues').mockImplementation(thrower);
    const node = jest.spyOn(nodeCrypto, 'randomBytes').mockImplementation(thrower);
    const nodeFill = jest.spyOn(nodeCrypto, 'randomFillSync').mockImplementation(thrower);
    try {
      expect(verifyOpening({ commitment: opening.commitment, value: 42n, context, proof: proofs.opening })).toBe(true);
      expect(verifyMembership({ commitment: keyword.commitment, keywords, context, proof: proofs.membership })).toBe(
        true,
      );
      expect(verifyValid({ publicKey: keys.publicKey, ciphertexts, context, proof: proofs.validity })).toBe(true);
      expect(
        verifyRange({ publicKey: keys.publicKey, ciphertexts, ranges, bits: 8, context, proof: proofs.range }),
      ).toBe(true);
      // The stubs are live: a prover fails under them.
      expect(() => commit(1n)).toThrow('a verifier asked for randomness');
    } finally {
      web.mockRestore();
      node.mockRestore();
      nodeFill.mockRestore();
    }
  });
});
