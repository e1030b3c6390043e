// SPDX-License-Identifier: Apache-2.0
// bench:fabric's baseline (scripts/bench/fabric.mjs): the least a contract can do on this
// network, so that the difference to medshare is the signature chain and its bookkeeping.
// Put is one blind write (no read, so no MVCC conflict), Get one read. No signatures, no
// validation beyond the argument count: it is never deployed outside the benchmark.
'use strict';

const { Contract } = require('fabric-contract-api');

class BaselineContract extends Contract {
  constructor() {
    super('baseline');
  }

  async Put(ctx, key, value) {
    await ctx.stub.putState(key, Buffer.from(value));
    return '';
  }

  async Get(ctx, key) {
    return Buffer.from(await ctx.stub.getState(key)).toString();
  }
}

module.exports.contracts = [BaselineContract];
