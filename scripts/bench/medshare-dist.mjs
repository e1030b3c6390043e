// SPDX-License-Identifier: Apache-2.0
// The built packages the bench scripts drive, as one object: the wire contract (protocol) and the
// crypto subpaths it sits on (bytes, sealed box, SM2, SM3). `npm run build` first.
import { createRequire } from 'node:module';
import { join } from 'node:path';

const require = createRequire(import.meta.url);

export function medshareDist(root) {
  return {
    ...require(join(root, 'crypto/dist/bytes.js')),
    ...require(join(root, 'crypto/dist/sealed-box.js')),
    ...require(join(root, 'crypto/dist/sm2/index.js')),
    ...require(join(root, 'crypto/dist/sm3.js')),
    ...require(join(root, 'protocol/dist/index.js')),
  };
}
