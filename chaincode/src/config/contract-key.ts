// SPDX-License-Identifier: Apache-2.0
import { privateKeyFromPem, publicKeyFromPrivate } from '@medshare/crypto/sm2';
import { readFileSync } from 'node:fs';
import { fail, keyIdOf, type SigningKey } from '@medshare/protocol';

export interface ContractKey extends SigningKey {
  readonly keyId: string;
}

export function contractKeyFromPem(pem: string): ContractKey {
  const privateKey = privateKeyFromPem(pem);
  const publicKey = publicKeyFromPrivate(privateKey);
  return { privateKey, publicKey, keyId: keyIdOf(publicKey) };
}

/**
 * K4 is a deployment secret of the chaincode servers, never on the ledger. It comes from the
 * chaincode process's configuration: `MEDSHARE_K4_KEY_FILE` (a PKCS#8 PEM file) or
 * `MEDSHARE_K4_PRIVATE_KEY_PEM`. This is the only place the chaincode reads the environment.
 */
export function loadContractKey(env: NodeJS.ProcessEnv = process.env): ContractKey | undefined {
  const file = env.MEDSHARE_K4_KEY_FILE;
  const inline = env.MEDSHARE_K4_PRIVATE_KEY_PEM;
  if (!file && !inline) return undefined;
  try {
    return contractKeyFromPem(file ? readFileSync(file, 'utf8') : (inline as string));
  } catch (cause) {
    throw fail(
      'INTERNAL',
      `K4 configuration is invalid (${file ? 'MEDSHARE_K4_KEY_FILE' : 'MEDSHARE_K4_PRIVATE_KEY_PEM'})`,
      cause,
    );
  }
}
