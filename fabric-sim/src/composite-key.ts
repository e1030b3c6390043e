// SPDX-License-Identifier: Apache-2.0
/** Fabric's composite-key layout: U+0000 ‖ type ‖ U+0000 ‖ attr ‖ U+0000 … (shim createCompositeKey). */
export const COMPOSITE_KEY_NAMESPACE = '\u0000';
const MIN_UNICODE_RUNE = '\u0000';
/** U+10FFFF: Fabric ends a partial-key range with the largest rune. */
export const MAX_UNICODE_RUNE = '\u{10FFFF}';

function validateAttribute(value: string, name: string): void {
  if (typeof value !== 'string') throw new TypeError(`${name} must be a string`);
  if (value.includes(MIN_UNICODE_RUNE) || value.includes(MAX_UNICODE_RUNE)) {
    throw new RangeError(`${name} must not contain U+0000 or U+10FFFF`);
  }
}

export function createCompositeKey(objectType: string, attributes: readonly string[]): string {
  validateAttribute(objectType, 'objectType');
  attributes.forEach((a, i) => validateAttribute(a, `attributes[${i}]`));
  return `${COMPOSITE_KEY_NAMESPACE}${objectType}${MIN_UNICODE_RUNE}${attributes.map((a) => `${a}${MIN_UNICODE_RUNE}`).join('')}`;
}

export function splitCompositeKey(key: string): { objectType: string; attributes: string[] } {
  if (!key.startsWith(COMPOSITE_KEY_NAMESPACE)) return { objectType: '', attributes: [] };
  const parts = key.slice(1).split(MIN_UNICODE_RUNE);
  parts.pop();
  const [objectType = '', ...attributes] = parts;
  return { objectType, attributes };
}

/** The order of keys as LevelDB keeps them: of their UTF-8 bytes (lone surrogates as U+FFFD), -1, 0 or 1. */
function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

const isSurrogate = (unit: number): boolean => unit >= 0xd800 && unit <= 0xdfff;

/**
 * LevelDB orders keys by their UTF-8 bytes; JavaScript's default string order differs above
 * U+FFFF. Returns -1, 0 or 1 as `Buffer.compare` of the two UTF-8 encodings does, without
 * encoding them: the UTF-8 order of two strings is that of the code points where they first
 * differ, and a proper prefix comes first; only when a surrogate is where they differ are the
 * encodings compared (a pair's code point, or a lone surrogate's U+FFFD). A range query after a
 * write sorts the keys with it, so it must not allocate.
 */
export function compareKeys(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    if (isSurrogate(x) || isSurrogate(y)) return compareUtf8(a, b);
    return x < y ? -1 : 1;
  }
  // A proper prefix (even one ending in a high surrogate the longer string pairs: U+FFFD's bytes
  // come before any four-byte sequence) comes first.
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}
