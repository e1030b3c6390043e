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

/** LevelDB orders keys by their UTF-8 bytes; JavaScript's default string order differs above U+FFFF. */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
