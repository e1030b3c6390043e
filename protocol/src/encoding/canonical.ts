// SPDX-License-Identifier: Apache-2.0
import { utf8 } from '@medshare/crypto/bytes';

/** A JSON value as the protocol allows it: no floats, no undefined, plain objects only. */
export type JsonValue = null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/**
 * RFC 8785 (JSON Canonicalization Scheme), restricted to the values the protocol uses:
 * numbers must be safe integers, so the RFC's ECMAScript number serialization reduces to the
 * decimal digits, and every implementation agrees on them.
 *
 * RFC 8785 §3.2.3: object members sorted by their names' UTF-16 code units, which is
 * JavaScript's default string order; §3.2.2.2: strings serialized as ECMAScript JSON.stringify does.
 */
export function canonicalize(value: unknown): string {
  return write(value, '$', 0, false);
}

/**
 * RFC 8785 with every finite number, for data that is sealed and never signed by the chain (a
 * research extract, a profile: docs/protocol.md §19): RFC 8785 §3.2.2.3 serializes a number as
 * ECMAScript's Number::toString, which is what JSON.stringify writes for a finite number. NaN
 * and ±Infinity are refused; -0 is written 0.
 */
export function canonicalizeData(value: unknown): string {
  return write(value, '$', 0, true);
}

export function canonicalBytes(value: unknown): Uint8Array {
  return utf8(canonicalize(value));
}

const MAX_DEPTH = 32;

/**
 * Values whose canonical text is kept once written (null until then): parsed requests, which the
 * gateway and the contract each canonicalize three times (sig2 or sig3 over {request, sig1}, sig1,
 * the request hash; ~3 ms each for a 512 KiB record's). Deep-frozen when remembered, so the text
 * cannot go stale: writing to one throws.
 */
const remembered = new WeakMap<object, string | null>();

/** Freezes `value` deeply and has `canonicalize` write its text once; returns it. */
export function rememberCanonical<T extends object>(value: T): T {
  deepFreeze(value);
  remembered.set(value, null);
  return value;
}

function deepFreeze(value: object): void {
  for (const member of Object.values(value) as unknown[])
    if (typeof member === 'object' && member !== null) deepFreeze(member);
  Object.freeze(value);
}

function write(value: unknown, path: string, depth: number, fractions: boolean): string {
  if (depth > MAX_DEPTH) throw new RangeError(`${path}: nested deeper than ${MAX_DEPTH}`);
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!(fractions ? Number.isFinite(value) : Number.isSafeInteger(value)))
        throw new RangeError(
          `${path}: only ${fractions ? 'finite numbers' : 'safe integers'} are allowed, got ${String(value)}`,
        );
      // ECMAScript Number::toString, as JSON.stringify writes it (an integer's decimal digits).
      return Object.is(value, -0) ? '0' : JSON.stringify(value);
    case 'string':
      if (!isWellFormed(value)) throw new RangeError(`${path}: string has a lone surrogate`);
      return JSON.stringify(value);
    case 'object':
      if (Array.isArray(value))
        return `[${value.map((v, i) => write(v, `${path}[${i}]`, depth + 1, fractions)).join(',')}]`;
      return writeObject(value, path, depth, fractions);
    default:
      throw new TypeError(`${path}: ${typeof value} is not allowed`);
  }
}

/** RFC 8785 §3.2.3: members sorted by name; plain objects only, and no undefined members. */
function writeObject(value: object, path: string, depth: number, fractions: boolean): string {
  const memo = fractions ? undefined : remembered.get(value);
  if (typeof memo === 'string') return memo;
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) throw new TypeError(`${path}: only plain objects are allowed`);
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).sort();
  const members: string[] = [];
  for (const key of keys) {
    const member = record[key];
    if (member === undefined) throw new TypeError(`${path}.${key}: undefined is not allowed`);
    members.push(`${JSON.stringify(key)}:${write(member, `${path}.${key}`, depth + 1, fractions)}`);
  }
  const text = `{${members.join(',')}}`;
  if (memo === null) remembered.set(value, text);
  return text;
}

function isWellFormed(text: string): boolean {
  return (text as string & { isWellFormed(): boolean }).isWellFormed();
}
