// SPDX-License-Identifier: Apache-2.0
import { KEY } from '../state/keys';
import { parseNonce } from '../state/model';
import { Table } from '../state/table';

/** Used nonces, one key per (author, nonce): `medshare.nonce [actor, nonce] → {txId, expiresAt}`. */
export const nonces = new Table({ type: KEY.nonce, key: ['actor', 'nonce'], parse: parseNonce });
