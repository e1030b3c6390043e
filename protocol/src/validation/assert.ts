// SPDX-License-Identifier: Apache-2.0
import { fail } from '../errors/medshare-error';

/** Named assertion helpers for untrusted input: each rejection names the field it checked. */

export const HEX64 = /^[0-9a-f]{64}$/;
export const HEX_PUBLIC_KEY = /^04[0-9a-f]{128}$/;
export const HEX_SIGNATURE = /^[0-9a-f]{128}$/;
export const NONCE = /^[0-9a-f]{32}$/;
export const APP_ID = /^[a-z0-9][a-z0-9.-]{0,62}$/;
export const MSP_ID = /^[A-Za-z0-9][A-Za-z0-9.-]{0,63}$/;

export function expectObject(value: unknown, name: string, allowed: readonly string[]): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw fail('INVALID_INPUT', `${name} must be an object`);
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) throw fail('INVALID_INPUT', `${name} must be a plain object`);
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) throw fail('INVALID_INPUT', `${name}.${key} is not an allowed field`);
  }
  return value as Record<string, unknown>;
}

/** A RegExp, or a faster test equivalent to the pattern `source` (named in the refusal). */
export interface StringPattern {
  readonly source: string;
  test(value: string): boolean;
}

export interface StringRule {
  readonly pattern?: StringPattern;
  readonly maxLength?: number;
  readonly minLength?: number;
}

export function expectString(value: unknown, name: string, rule: StringRule = {}): string {
  if (typeof value !== 'string') throw fail('INVALID_INPUT', `${name} must be a string`);
  const { maxLength = 4096, minLength = 1, pattern } = rule;
  if (value.length < minLength) throw fail('INVALID_INPUT', `${name} must have at least ${minLength} characters`);
  if (value.length > maxLength) throw fail('INVALID_INPUT', `${name} must have at most ${maxLength} characters`);
  if (pattern && !pattern.test(value))
    throw fail('INVALID_INPUT', `${name} has the wrong format (expected ${pattern.source})`);
  return value;
}

export function expectInteger(value: unknown, name: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value))
    throw fail('INVALID_INPUT', `${name} must be an integer`);
  if (value < min || value > max) throw fail('INVALID_INPUT', `${name} must be in [${min}, ${max}]`);
  return value;
}

export function expectOneOf<T extends string>(value: unknown, name: string, options: readonly T[]): T {
  if (typeof value !== 'string' || !(options as readonly string[]).includes(value)) {
    throw fail('INVALID_INPUT', `${name} must be one of ${options.join(', ')}`);
  }
  return value as T;
}

/** Parses JSON text of bounded size; malformed JSON is INVALID_INPUT, oversized PAYLOAD_TOO_LARGE. */
export function parseJsonText(text: unknown, name: string, maxBytes: number): unknown {
  if (typeof text !== 'string') throw fail('INVALID_INPUT', `${name} must be a JSON string`);
  if (Buffer.byteLength(text, 'utf8') > maxBytes)
    throw fail('PAYLOAD_TOO_LARGE', `${name} is larger than ${maxBytes} bytes`);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw fail('INVALID_INPUT', `${name} is not valid JSON`);
  }
}
