// SPDX-License-Identifier: Apache-2.0
/**
 * RFC 9380 hashing for our own schemes on SM2 (docs/protocol.md §15, §18): expand_message_xmd
 * (§5.3.1) over a Merkle–Damgård hash from node:crypto (SM3 for medshare, SHA-256 for the RFC's
 * own known answers), length-framed inputs, and hash-to-scalar by wide reduction.
 *
 * The hash state after `Z_pad ‖ prefix` can be kept and copied ({@link XmdPrefix}): a ring
 * signature's challenges all share the ring, scope, key image and message, and only the last
 * two inputs differ, so each challenge hashes 66 new bytes instead of the whole ring again.
 */
import { createHash, type Hash } from 'node:crypto';
import { bytesToBigInt, concatBytes } from '../bytes';
import { SM2_N } from './curve';

/** A hash for expand_message_xmd: its node:crypto name, b_in_bytes and s_in_bytes (RFC 9380 §5.3.1). */
export interface XmdHash {
  readonly name: string;
  readonly outputBytes: number;
  readonly blockBytes: number;
}

export const XMD_SM3: XmdHash = { name: 'sm3', outputBytes: 32, blockBytes: 64 };

/** Bytes of uniform output a scalar is reduced from: 384 bits mod a 256-bit n, bias below 2^-128. */
export const WIDE_SCALAR_BYTES = 48;

/**
 * msg_prime's leading `Z_pad ‖ prefix`, absorbed once; {@link expand} appends the rest of msg and
 * finishes expand_message_xmd. The prefix is raw bytes: frame them first where the scheme says so.
 */
export class XmdPrefix {
  private readonly state: Hash;

  constructor(
    private readonly hash: XmdHash,
    prefix: readonly Uint8Array[],
  ) {
    this.state = createHash(hash.name).update(new Uint8Array(hash.blockBytes));
    for (const part of prefix) this.state.update(part);
  }

  /** RFC 9380 §5.3.1 expand_message_xmd(prefix ‖ suffix, dst, length). */
  expand(suffix: readonly Uint8Array[], dst: Uint8Array, length: number): Uint8Array {
    const { name, outputBytes } = this.hash;
    const ell = Math.ceil(length / outputBytes);
    // Step 2; the oversize-DST rule (§5.3.3) is not needed: every DST here is ours and short.
    if (!Number.isInteger(length) || length < 1 || ell > 255 || length > 65535)
      throw new RangeError('expand_message_xmd: length must be in [1, 65535] and ell ≤ 255');
    if (dst.length > 255) throw new RangeError('expand_message_xmd: DST must be at most 255 bytes');
    const dstPrime = concatBytes(dst, Uint8Array.of(dst.length));
    // b_0 = H(Z_pad ‖ msg ‖ I2OSP(len_in_bytes, 2) ‖ I2OSP(0, 1) ‖ DST_prime)
    const b0Hash = this.state.copy();
    for (const part of suffix) b0Hash.update(part);
    const b0 = new Uint8Array(
      b0Hash
        .update(Uint8Array.of(length >> 8, length & 0xff, 0))
        .update(dstPrime)
        .digest(),
    );
    // b_1 = H(b_0 ‖ I2OSP(1, 1) ‖ DST_prime); b_i = H(strxor(b_0, b_(i−1)) ‖ I2OSP(i, 1) ‖ DST_prime)
    const out = new Uint8Array(ell * outputBytes);
    let previous = new Uint8Array(outputBytes);
    for (let i = 1; i <= ell; i++) {
      const input = new Uint8Array(outputBytes);
      for (let j = 0; j < outputBytes; j++) input[j] = (b0[j] as number) ^ (previous[j] as number);
      previous = new Uint8Array(createHash(name).update(input).update(Uint8Array.of(i)).update(dstPrime).digest());
      out.set(previous, (i - 1) * outputBytes);
    }
    return out.subarray(0, length);
  }
}

/** RFC 9380 §5.3.1 expand_message_xmd(msg, dst, length) with `hash`. */
export function expandMessageXmd(hash: XmdHash, msg: Uint8Array, dst: Uint8Array, length: number): Uint8Array {
  return new XmdPrefix(hash, [msg]).expand([], dst, length);
}

/** `I2OSP(|m1|, 4) ‖ m1 ‖ … ‖ I2OSP(|mk|, 4) ‖ mk` as its pieces: every hash input parses one way. */
export function framePieces(parts: readonly Uint8Array[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const part of parts) {
    const length = new Uint8Array(4);
    new DataView(length.buffer).setUint32(0, part.length);
    out.push(length, part);
  }
  return out;
}

export function framed(parts: readonly Uint8Array[]): Uint8Array {
  return concatBytes(...framePieces(parts));
}

/** H(parts) = OS2IP(expand_message_xmd_SM3(framed(parts), dst, 48)) mod n (§15, §18). */
export function hashToScalar(dst: Uint8Array, parts: readonly Uint8Array[]): bigint {
  return bytesToBigInt(new XmdPrefix(XMD_SM3, framePieces(parts)).expand([], dst, WIDE_SCALAR_BYTES)) % SM2_N;
}

/**
 * `(suffix) => hashToScalar(dst, [...prefix, ...suffix])`, with the framed prefix hashed once.
 */
export function prefixedHashToScalar(
  dst: Uint8Array,
  prefix: readonly Uint8Array[],
): (suffix: readonly Uint8Array[]) => bigint {
  const absorbed = new XmdPrefix(XMD_SM3, framePieces(prefix));
  return (suffix) => bytesToBigInt(absorbed.expand(framePieces(suffix), dst, WIDE_SCALAR_BYTES)) % SM2_N;
}
