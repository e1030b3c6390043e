// SPDX-License-Identifier: Apache-2.0
import { readFileSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';

/**
 * Every flag any command takes, parsed strictly in one pass (an unknown flag is a usage error
 * whatever the command); each command reads the ones it needs in its own `parse`.
 */
const OPTIONS = {
  config: { type: 'string' },
  gateway: { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
  out: { type: 'string' },
  qr: { type: 'boolean', default: false },
  key: { type: 'string' },
  role: { type: 'string' },
  pseudonym: { type: 'string' },
  file: { type: 'string' },
  data: { type: 'string' },
  kind: { type: 'string' },
  record: { type: 'string' },
  to: { type: 'string' },
  from: { type: 'string' },
  'page-size': { type: 'string' },
  bookmark: { type: 'string' },
  'public-key': { type: 'string' },
  'not-before': { type: 'string' },
  'not-after': { type: 'string' },
  at: { type: 'string' },
  after: { type: 'string' },
  follow: { type: 'boolean', default: false },
  'media-type': { type: 'string' },
  'chunk-bytes': { type: 'string' },
  threshold: { type: 'string' },
  shared: { type: 'boolean', default: false },
  study: { type: 'string' },
  format: { type: 'string' },
  report: { type: 'string' },
  ring: { type: 'string' },
  replace: { type: 'boolean', default: false },
  min: { type: 'string' },
  deny: { type: 'string' },
  'study-key': { type: 'string' },
  attestation: { type: 'string' },
  patient: { type: 'string' },
  keyword: { type: 'string' },
  day: { type: 'string' },
  store: { type: 'string' },
} as const satisfies ParseArgsConfig['options'];

export type Values = { [K in keyof typeof OPTIONS]?: (typeof OPTIONS)[K]['type'] extends 'boolean' ? boolean : string };

/** The command line split into flags and positionals (the first positional is the command). */
export function parseCommandLine(argv: readonly string[]): { values: Values; positionals: string[] } {
  const { values, positionals } = parseArgs({
    args: [...argv],
    options: OPTIONS,
    allowPositionals: true,
    strict: true,
  });
  return { values, positionals };
}

/** A command line that cannot mean anything: exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export function need(values: Values, name: keyof Values): string {
  const v = values[name];
  if (typeof v !== 'string' || v === '') throw new UsageError(`--${name} is required`);
  return v;
}

export function int(text: string | undefined, name: string, fallback?: number): number {
  if (text === undefined) {
    if (fallback === undefined) throw new UsageError(`--${name} is required`);
    return fallback;
  }
  if (!/^[0-9]{1,16}$/.test(text)) throw new UsageError(`--${name} must be a non-negative integer`);
  return Number(text);
}

/** `text` if it is JSON, else a usage error naming the flag. */
export function checkedJson(text: string, flag = 'data'): string {
  try {
    JSON.parse(text);
  } catch {
    throw new UsageError(`--${flag} must be valid JSON`);
  }
  return text;
}

/** The JSON value of --data, or of the file --file names (read when the command runs its parse). */
export function jsonArgument(values: Values, command: string): unknown {
  if (values.data !== undefined) return JSON.parse(checkedJson(values.data)) as unknown;
  if (values.file !== undefined) return JSON.parse(checkedJson(readFileSync(values.file, 'utf8'), 'file')) as unknown;
  throw new UsageError(`${command} needs --data JSON or --file PATH`);
}
