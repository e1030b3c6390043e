// SPDX-License-Identifier: Apache-2.0
/**
 * Fixed layouts of docs/protocol.md §20.1: points compressed (33 bytes, §15: no identity, x < p,
 * on the curve), scalars 32 bytes big-endian below n. A decoder names the field it refuses.
 */
import { assertBytes, concatBytes } from '../bytes';
import {
  COMPRESSED_POINT_BYTES,
  decodeCompressed,
  decodeScalar,
  encodeCompressed,
  FIELD_BYTES,
  Point,
  scalarToBytes,
} from '../sm2/curve';
import type { Affine } from '../sm2/jacobian';

export const POINT_BYTES = COMPRESSED_POINT_BYTES;
export const SCALAR_BYTES = FIELD_BYTES;

/** Reads a fixed layout front to back; {@link done} checks nothing is left. */
export class Reader {
  private offset = 0;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly name: string,
    expectedLength: number,
  ) {
    assertBytes(bytes, name);
    if (bytes.length !== expectedLength)
      throw new RangeError(`${name} must be ${expectedLength} bytes, got ${bytes.length}`);
  }

  private take(length: number): Uint8Array {
    const out = this.bytes.subarray(this.offset, this.offset + length);
    this.offset += length;
    return out;
  }

  point(field: string): Point {
    return decodeCompressed(this.take(POINT_BYTES), `${this.name}.${field}`);
  }

  /** A scalar in [0, n−1] (zero allowed: a response may be zero). */
  scalar(field: string): bigint {
    return decodeScalar(this.take(SCALAR_BYTES), `${this.name}.${field}`, true);
  }

  points(field: string, count: number): Point[] {
    return Array.from({ length: count }, (_, i) => this.point(`${field}[${i}]`));
  }

  scalars(field: string, count: number): bigint[] {
    return Array.from({ length: count }, (_, i) => this.scalar(`${field}[${i}]`));
  }
}

export function encodeFields(fields: readonly (Point | bigint)[]): Uint8Array {
  return concatBytes(...fields.map((f) => (typeof f === 'bigint' ? scalarToBytes(f) : encodeCompressed(f))));
}

/** A decoded point as the affine pair the variable-time arithmetic takes. */
export function affineOf(point: Point): Affine {
  const { x, y } = point.toAffine();
  return { x, y };
}

/** A caller's point argument: 33 bytes, decoded with its name. */
export function pointArg(bytes: Uint8Array, name: string): Point {
  return decodeCompressed(bytes, name);
}

/** TypeError unless `value` is an array (no narrowing: the caller's element type stays). */
export function assertArray(value: unknown, name: string): void {
  if (!Array.isArray(value)) throw new TypeError(`${name} must be an array`);
}
