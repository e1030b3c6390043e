// SPDX-License-Identifier: Apache-2.0
/**
 * Tamper tests for fixed layouts (tests only; not built: crypto/tsconfig.json excludes it). A
 * layout names each field; every variant of every field must be refused (RangeError) or fail
 * verification, never be accepted.
 */
import { bigIntToBytes } from '../bytes';
import { SM2_N } from '../sm2/curve';

export type FieldKind = 'point' | 'scalar';

export interface Field {
  readonly name: string;
  readonly offset: number;
  readonly length: number;
  readonly kind: FieldKind;
}

/** Fields from [name, kind] pairs in order (points 33 bytes, scalars 32). */
export function layout(parts: readonly (readonly [string, FieldKind])[]): Field[] {
  let offset = 0;
  return parts.map(([name, kind]) => {
    const length = kind === 'point' ? 33 : 32;
    const field = { name, offset, length, kind };
    offset += length;
    return field;
  });
}

function replaced(bytes: Uint8Array, field: Field, value: Uint8Array): Uint8Array {
  const copy = bytes.slice();
  copy.set(value, field.offset);
  return copy;
}

/** The variants of `bytes` with `field` changed: a flipped low bit, and per kind −P / n / 0. */
export function variants(bytes: Uint8Array, field: Field): { label: string; bytes: Uint8Array }[] {
  const end = field.offset + field.length - 1;
  const flipped = bytes.slice();
  flipped[end] = (flipped[end] as number) ^ 0x01;
  const out: { label: string; bytes: Uint8Array }[] = [{ label: `${field.name}: low bit flipped`, bytes: flipped }];
  if (field.kind === 'point') {
    const negated = bytes.slice();
    negated[field.offset] = (negated[field.offset] as number) ^ 0x01;
    out.push({ label: `${field.name}: negated (other y)`, bytes: negated });
    out.push({ label: `${field.name}: first byte 04`, bytes: replaced(bytes, field, Uint8Array.of(0x04)) });
  } else {
    out.push({ label: `${field.name}: n`, bytes: replaced(bytes, field, bigIntToBytes(SM2_N, 32)) });
    out.push({ label: `${field.name}: zero`, bytes: replaced(bytes, field, new Uint8Array(32)) });
  }
  return out.filter((v) => !v.bytes.every((b, i) => b === bytes[i]));
}

/** verify()'s answer, with a RangeError counted as a refusal (false); other errors propagate. */
export function accepts(verify: () => boolean): boolean {
  try {
    return verify();
  } catch (error) {
    if (error instanceof RangeError) return false;
    throw error;
  }
}

/** Labels of the variants a verifier accepted (the test expects none). */
export function acceptedTamperings(
  bytes: Uint8Array,
  fields: readonly Field[],
  verify: (tampered: Uint8Array) => boolean,
): string[] {
  return fields.flatMap((field) =>
    variants(bytes, field)
      .filter((v) => accepts(() => verify(v.bytes)))
      .map((v) => v.label),
  );
}
