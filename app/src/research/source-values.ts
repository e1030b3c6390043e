// SPDX-License-Identifier: Apache-2.0
import { fieldSpec } from '@medshare/protocol';

/** Dictionary field name → the value as the record holds it (checked later, by `generalize`). */
export type SourceValues = Map<string, unknown>;

/**
 * Adds `value` under `field` unless it is absent or the field already has a value (the first
 * wins). A field that is not a quasi-identifier or clinical is a bug of the reader, never input.
 */
export function setSource(values: SourceValues, field: string, value: unknown): void {
  const spec = fieldSpec(field);
  if (!spec || (spec.class !== 'quasi' && spec.class !== 'clinical'))
    throw new TypeError(`${field} is not a field an extract may hold`);
  if (value !== undefined && value !== null && !values.has(field)) values.set(field, value);
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
