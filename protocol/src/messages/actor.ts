// SPDX-License-Identifier: Apache-2.0
import { HEX64, expectString } from '../validation/assert';

/**
 * Who authored a request: a registered key (sig1 by that key, the only kind today), or an
 * anonymous member of a ring (a linkable ring signature: the key image links one member's
 * requests within a scope, such as a study, and nowhere else).
 */
export type Actor =
  | { readonly kind: 'key'; readonly keyId: string }
  | { readonly kind: 'ring'; readonly keyImage: string; readonly scope: string };

export function keyActor(keyId: string): Actor {
  return { kind: 'key', keyId: expectString(keyId, 'keyId', { pattern: HEX64 }) };
}

/**
 * One string per actor, for maps and for ledger-key attributes: a key actor is its key id
 * (so nonce and access-ticket keys are what they were before actors existed), a ring actor
 * `ring:<scope>:<keyImage>` (never a key id: those are 64 hex digits).
 */
export function actorKey(actor: Actor): string {
  return actor.kind === 'key' ? actor.keyId : `ring:${actor.scope}:${actor.keyImage}`;
}
