// SPDX-License-Identifier: Apache-2.0
import { isErrorCode, type ErrorCode } from './codes';

export interface MedshareErrorOptions {
  readonly code: ErrorCode;
  readonly message: string;
  readonly cause?: unknown;
  /** Where the error happened, e.g. the Fabric transaction id. Never secrets or medical data. */
  readonly context?: Readonly<Record<string, string | number | boolean>>;
}

/**
 * The base of every error with a stable code. Its message always starts with `CODE: `, so the
 * code survives transports that keep only the message (Fabric endorsement errors).
 */
export class MedshareError extends Error {
  readonly code: ErrorCode;
  readonly context: Readonly<Record<string, string | number | boolean>>;

  constructor(options: MedshareErrorOptions) {
    super(`${options.code}: ${options.message}`, { cause: options.cause });
    this.name = 'MedshareError';
    this.code = options.code;
    this.context = options.context ?? {};
  }

  /** The message without the code prefix. */
  get detail(): string {
    return this.message.slice(this.code.length + 2);
  }
}

/** Shorthand used by every layer: `throw fail('NOT_OWNER', 'sig1 signer is not the record owner')`. */
export function fail(code: ErrorCode, message: string, cause?: unknown): MedshareError {
  return new MedshareError({ code, message, cause });
}

const CODE_PREFIX = /(?:^|[\s:,])([A-Z][A-Z0-9_]{2,40}): /g;

/**
 * Extracts `{code, message}` from a message that carries a code prefix somewhere in it
 * (Fabric wraps chaincode errors as "... chaincode response 500, CODE: text"). The first
 * prefix that is a known code wins; returns undefined when there is none: callers treat
 * that as INTERNAL, never guess from prose.
 */
export function parseCodedMessage(text: string): { code: ErrorCode; message: string } | undefined {
  for (const match of text.matchAll(CODE_PREFIX)) {
    const code = match[1];
    if (isErrorCode(code)) return { code, message: text.slice(match.index + match[0].length) };
  }
  return undefined;
}
