// SPDX-License-Identifier: Apache-2.0
import { sign, type KeyObject } from 'node:crypto';
import { hash, signers, type Signer } from '@hyperledger/fabric-gateway';
import { bigIntToBytes, bytesToBigInt } from '@medshare/crypto/bytes';
import { signatureFromDer, signatureToDer } from '@medshare/crypto/sm2';

/** The order n of NIST P-256 (FIPS 186-4 §D.1.2.3), for the low-S form Fabric requires. */
const P256_N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
const HALF_N = P256_N >> 1n;

/** How the gateway's Fabric client identity signs: the `signer` and `hash` of fabric-gateway's `connect`. */
export interface FabricSigning {
  readonly signer: Signer;
  readonly hash: (message: Uint8Array) => Uint8Array;
}

/**
 * The client identity's signer. For a P-256 key (what Fabric CAs and cryptogen issue) it signs
 * with node:crypto (OpenSSL, ~20× the speed of fabric-gateway's own signer, @noble/curves in
 * JavaScript, which is up to a third of the gateway's CPU per request: docs/benchmarks.md
 * "Gateway CPU profile"). fabric-gateway then hands the signer the message itself (`hash.none`),
 * and the signature is ECDSA over SHA-256(message), the digest `hash.sha256` would have given:
 * the same signature scheme, as the peers verify it. Fabric accepts only the low-S form
 * (s ≤ n/2, its bccsp refuses the other), so a high s becomes n − s, the same signature's other
 * form, as fabric-gateway's signer does. Any other key: fabric-gateway's own signer, unchanged.
 */
export function fabricSigning(privateKey: KeyObject): FabricSigning {
  if (privateKey.asymmetricKeyType !== 'ec' || privateKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1')
    return { signer: signers.newPrivateKeySigner(privateKey), hash: hash.sha256 };
  return {
    hash: hash.none,
    // The KeyObject itself, not an options object: Node 24 signs ~30 µs faster so (DER out).
    signer: (message) => Promise.resolve(lowS(sign('sha256', message, privateKey))),
  };
}

/**
 * A DER ECDSA signature (SEQUENCE { INTEGER r, INTEGER s }) over P-256 in its low-S form, DER as
 * fabric-gateway sends it. SM2's DER codec serves (GB/T 35276 §7.2 is X9.62's encoding of two
 * 32-byte integers).
 */
export function lowS(der: Uint8Array): Uint8Array {
  const rs = signatureFromDer(der);
  const s = bytesToBigInt(rs.subarray(32));
  if (s <= HALF_N) return der;
  rs.set(bigIntToBytes(P256_N - s, 32), 32);
  return signatureToDer(rs);
}
