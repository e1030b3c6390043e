// SPDX-License-Identifier: Apache-2.0
import { KEY } from '../../state/keys';
import { parseAccessKey } from '../../state/model';
import { Table } from '../../state/table';

/** Access-layer keys (K3) per org: `medshare.k3 [mspId, keyId]`. */
export const accessKeys = new Table({ type: KEY.accessKey, key: ['mspId', 'keyId'], parse: parseAccessKey });
