// SPDX-License-Identifier: Apache-2.0
/**
 * The Fiat–Shamir transcript of every proof in docs/protocol.md §20.2. A transcript is a byte
 * string T of labelled entries, each `I2OSP(|label|, 4) ‖ label ‖ I2OSP(|data|, 4) ‖ data`, so T
 * parses one way whatever the entries hold. A challenge under `label` is
 *
 *   out = expand_message_xmd_SM3(T ‖ I2OSP(|label|, 4) ‖ label, "medshare/v1/zk/challenge", L)
 *
 * after which `(label, out)` is an entry of T: every later challenge depends on every earlier
 * one. A scalar challenge takes L = 48 and reduces OS2IP(out) mod n (bias below 2^-128).
 *
 * Every transcript opens with the entries `protocol` (which proof), `generators` (the generator
 * set's DST, §20.1) and `context` (the caller's bytes: study and day), then the statement, then
 * the prover's messages in order.
 */
import { assertBytes, bytesToBigInt, concatBytes, utf8 } from '../bytes';
import { SM2_N } from '../sm2/curve';
import { framePieces, WIDE_SCALAR_BYTES, XMD_SM3, XmdPrefix } from '../sm2/hash-to-field';
import { ZK_DST_PREFIX, ZK_GENERATORS_DST } from './generators';

export const ZK_CHALLENGE_DST = `${ZK_DST_PREFIX}challenge`;
const CHALLENGE_DST = utf8(ZK_CHALLENGE_DST);
const GENERATORS_ID = utf8(ZK_GENERATORS_DST);

/** The proofs of §20, by their `protocol` entry `medshare/v1/zk/<name>`. */
export type ZkProtocol = 'opening' | 'membership' | 'validity' | 'range';

export class Transcript {
  private readonly pieces: Uint8Array[] = [];

  constructor(protocol: ZkProtocol, context: Uint8Array) {
    assertBytes(context, 'context');
    this.append('protocol', utf8(ZK_DST_PREFIX + protocol));
    this.append('generators', GENERATORS_ID);
    this.append('context', context);
  }

  /** Appends the entry (label, data₁ ‖ … ‖ data_k). */
  append(label: string, ...data: readonly Uint8Array[]): void {
    this.pieces.push(...framePieces([utf8(label), data.length === 1 ? (data[0] as Uint8Array) : concatBytes(...data)]));
  }

  /** L bytes of challenge under `label`, then appended as the entry (label, out). */
  challengeBytes(label: string, length: number): Uint8Array {
    const labelPieces = framePieces([utf8(label)]);
    const out = new XmdPrefix(XMD_SM3, [...this.pieces, ...labelPieces]).expand([], CHALLENGE_DST, length);
    this.pieces.push(...labelPieces, ...framePieces([out]));
    return out;
  }

  /** OS2IP(challengeBytes(label, 48)) mod n. */
  challengeScalar(label: string): bigint {
    return bytesToBigInt(this.challengeBytes(label, WIDE_SCALAR_BYTES)) % SM2_N;
  }

  /** `count` batch weights of 128 bits: OS2IP of consecutive 16-byte pieces of one challenge. */
  weights(label: string, count: number): bigint[] {
    const out = this.challengeBytes(label, 16 * count);
    return Array.from({ length: count }, (_, i) => bytesToBigInt(out.subarray(16 * i, 16 * i + 16)));
  }

  /** T itself (tests and the vectors' transcript example). */
  bytes(): Uint8Array {
    return concatBytes(...this.pieces);
  }
}
