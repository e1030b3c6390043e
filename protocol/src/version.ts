// SPDX-License-Identifier: Apache-2.0
/**
 * The protocol version: the `v` of every request, response, session message, audit event and
 * stream grant, and the `v1` of every domain-separation label (labels.ts). Parsers refuse any
 * other value with UNSUPPORTED_VERSION. docs/protocol.md §2.
 */
export const PROTOCOL_VERSION = 1 as const;
