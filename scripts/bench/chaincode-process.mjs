// SPDX-License-Identifier: Apache-2.0
// The chaincode in a process of its own, as a chaincode server runs it beside a peer: the real
// contracts dispatched by fabric-shim's router (fabric-sim's ChaincodeHost), over a stub whose
// every getState / putState / deleteState is a round trip to the parent process, which holds the
// ledger (fabric-sim's MemoryLedger and TransactionStub: the peer's part). So this process's CPU
// and memory are the chaincode's only, whatever the ledger holds: on Fabric the ledger is the
// peer's, and its garbage is not the chaincode server's to collect. Used by
// chaincode-patients.mjs (`fork` with serialization 'advanced'); `npm run build` first.
//
// Messages from the parent: {type:'invoke', call, txId, timestampMs, creator, fcn, args},
// {type:'reply', id, value}, {type:'usage'}, {type:'settled'} (queued key tables built),
// {type:'stats'}. To the parent: {type:'state', id, call,
// op:'get'|'put'|'delete', key, value}, {type:'done', call, result | error, event},
// {type:'usage', cpu, gc, major}, {type:'settled'}, {type:'stats', memory, cache}.
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { constants, PerformanceObserver } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
process.env.CORE_CHAINCODE_LOGGING_LEVEL ??= 'warning';
const cc = require(resolve(root, 'chaincode/dist/index.js'));
const sim = require(resolve(root, 'fabric-sim/dist/index.js'));
const testing = require(resolve(root, 'crypto/dist/testing/index.js'));

const send = (message) => process.send(message);
const pending = new Map();
let nextId = 0;
/** One round trip to the peer (the parent) for a state call of transaction `call`. */
function ask(call, op, key, value) {
  const id = ++nextId;
  return new Promise((resolveReply, reject) => {
    pending.set(id, { resolveReply, reject });
    send({ type: 'state', id, call, op, key, ...(value === undefined ? {} : { value }) });
  });
}

/** The stub calls the router and the contracts make, with fabric-shim's behaviour; state calls go to the peer. */
class PeerStub {
  #tx;
  event = undefined;
  constructor(tx) {
    this.#tx = tx;
  }
  getTxID() {
    return this.#tx.txId;
  }
  getChannelID() {
    return 'bench';
  }
  getCreator() {
    return { mspid: this.#tx.creator.mspid, idBytes: Uint8Array.from(this.#tx.creator.idBytes) };
  }
  getBufferArgs() {
    return [this.#tx.fcn, ...this.#tx.args].map((a) => Buffer.from(a, 'utf8'));
  }
  getFunctionAndParameters() {
    return { fcn: this.#tx.fcn, params: [...this.#tx.args] };
  }
  getTxTimestamp() {
    const ms = this.#tx.timestampMs;
    return { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1_000_000 };
  }
  createCompositeKey(objectType, attributes) {
    return sim.createCompositeKey(objectType, attributes);
  }
  splitCompositeKey(key) {
    return sim.splitCompositeKey(key);
  }
  async getState(key) {
    return new Uint8Array(await ask(this.#tx.call, 'get', key));
  }
  async putState(key, value) {
    await ask(this.#tx.call, 'put', key, value);
  }
  async deleteState(key) {
    await ask(this.#tx.call, 'delete', key);
  }
  setEvent(name, payload) {
    this.event = { name, payload: Uint8Array.from(payload) };
  }
  getStateByRange() {
    return Promise.reject(new Error('range queries are not part of this benchmark'));
  }
  getStateByPartialCompositeKey() {
    return this.getStateByRange();
  }
  getStateByPartialCompositeKeyWithPagination() {
    return this.getStateByRange();
  }
}

let host;
let gcMs = 0;
let majorMs = 0;
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    gcMs += e.duration;
    if (e.detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) majorMs += e.duration;
  }
}).observe({ entryTypes: ['gc'] });

async function invoke(m) {
  const stub = new PeerStub(m);
  try {
    const result = await host.invoke(stub);
    send({ type: 'done', call: m.call, result, event: stub.event });
  } catch (error) {
    send({
      type: 'done',
      call: m.call,
      error: { code: error.code ?? 'INTERNAL', message: error.message },
      event: undefined,
    });
  }
}

process.on('message', (m) => {
  switch (m.type) {
    case 'init':
      host = new sim.ChaincodeHost(
        cc.contractsWith({ contractKey: cc.contractKeyFromPem(m.k4Pem) }),
        cc.CHAINCODE_INFO,
      );
      send({ type: 'ready' });
      break;
    case 'invoke':
      void invoke(m);
      break;
    case 'reply': {
      const waiting = pending.get(m.id);
      pending.delete(m.id);
      if (m.error) waiting?.reject(new Error(m.error));
      else waiting?.resolveReply(m.value);
      break;
    }
    case 'usage': {
      const { user, system } = process.cpuUsage();
      send({ type: 'usage', cpu: (user + system) / 1000, gc: gcMs, major: majorMs });
      break;
    }
    case 'settled':
      testing.buildQueuedTables();
      send({ type: 'settled' });
      break;
    case 'stats':
      globalThis.gc?.();
      send({ type: 'stats', memory: process.memoryUsage(), cache: testing.verifyKeyStats() });
      break;
    default:
      throw new Error(`unknown message ${m.type}`);
  }
});
process.on('disconnect', () => process.exit(0));
