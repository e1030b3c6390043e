// SPDX-License-Identifier: Apache-2.0
const HEX = /^(?:[0-9a-f]{2})*$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const OUTSIDE_BASE64 = /[^A-Za-z0-9+/=]/;

/**
 * Whether `text` matches /^[A-Za-z0-9+/]*={0,2}$/ (standard base64 characters, at most two "="
 * and only at the end), without running that pattern: V8 runs it at about 4 ns a character,
 * 4 ms for a 512 KiB record's base64, while a search for one character outside the alphabet and
 * an indexOf take a tenth of that.
 */
export function isBase64Text(text: string): boolean {
  if (OUTSIDE_BASE64.test(text)) return false;
  const pad = text.indexOf('=');
  return pad === -1 || pad === text.length - 1 || (pad === text.length - 2 && text.endsWith('='));
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** Lower-case hex only, even length: one spelling per value keeps signed bytes canonical. */
export function fromHex(hex: string, name = 'hex'): Uint8Array {
  if (typeof hex !== 'string') throw new TypeError(`${name} must be a string`);
  if (!HEX.test(hex)) throw new RangeError(`${name} must be even-length lower-case hex`);
  return new Uint8Array(Buffer.from(hex, 'hex'));
}

export function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/** Standard padded base64 only; rejects anything Node would silently skip. */
export function fromBase64(text: string, name = 'base64'): Uint8Array {
  if (typeof text !== 'string') throw new TypeError(`${name} must be a string`);
  if (text.length % 4 !== 0) throw new RangeError(`${name} must be padded standard base64`);
  const bytes = new Uint8Array(Buffer.from(text, 'base64'));
  // What re-encodes to the same text is standard padded base64 (Buffer.from skips or accepts
  // what toBase64 never writes), so the pattern is only needed to word a refusal.
  if (toBase64(bytes) !== text) {
    if (!BASE64.test(text)) throw new RangeError(`${name} must be padded standard base64`);
    throw new RangeError(`${name} is not canonical base64`);
  }
  return bytes;
}

export function utf8(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'utf8'));
}

export function concatBytes(...parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

export function bytesToBigInt(bytes: Uint8Array): bigint {
  return bytes.length === 0 ? 0n : BigInt(`0x${toHex(bytes)}`);
}

export function bigIntToBytes(value: bigint, length: number): Uint8Array {
  if (value < 0n) throw new RangeError('value must be non-negative');
  const hex = value.toString(16).padStart(length * 2, '0');
  if (hex.length > length * 2) throw new RangeError(`value does not fit in ${length} bytes`);
  return fromHex(hex);
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return diff === 0;
}

export function assertBytes(value: unknown, name: string, length?: number): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) throw new TypeError(`${name} must be a Uint8Array`);
  if (length !== undefined && value.length !== length)
    throw new RangeError(`${name} must be ${length} bytes, got ${value.length}`);
}
