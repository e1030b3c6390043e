// SPDX-License-Identifier: Apache-2.0
// V8's sampling CPU profiler over a chosen window, for the bench scripts: in another process
// through its inspector (a gateway started with startGateway(…, { inspect: true }), the Chrome
// DevTools protocol over the WebSocket the process printed), or in this process (node:inspector).
// stop() returns the profile as a .cpuprofile object (cpuprofile-summary.mjs reads it).
import { Session } from 'node:inspector/promises';

/** The default sampling interval of `node --cpu-prof`, µs. */
const INTERVAL_US = 1000;

/** A profiler for the process whose inspector listens at `url` (ws://127.0.0.1:PORT/ID). */
export async function remoteProfiler(url) {
  const ws = new WebSocket(url);
  const pending = new Map();
  let id = 0;
  ws.addEventListener('message', (event) => {
    const message = JSON.parse(String(event.data));
    const waiting = pending.get(message.id);
    if (!waiting) return;
    pending.delete(message.id);
    if (message.error) waiting.fail(new Error(`${waiting.method}: ${message.error.message}`));
    else waiting.ok(message.result);
  });
  await new Promise((ok, fail) => {
    ws.addEventListener('open', ok, { once: true });
    ws.addEventListener('error', () => fail(new Error(`cannot reach the inspector at ${url}`)), { once: true });
  });
  const post = (method, params = {}) =>
    new Promise((ok, fail) => {
      pending.set(++id, { ok, fail, method });
      ws.send(JSON.stringify({ id, method, params }));
    });
  return profilerOver(post, () => ws.close());
}

/** A profiler for this process. */
export function localProfiler() {
  const session = new Session();
  session.connect();
  return profilerOver(
    (method, params = {}) => session.post(method, params),
    () => session.disconnect(),
  );
}

/**
 * Counts the process's garbage collections (perf_hooks 'gc' entries) from now on: a global
 * `__benchGc` of { count, ms, byKind: {minor|major|incremental|weakcb: ms} }, read by gcSoFar.
 */
const GC_OBSERVER = `globalThis.__benchGc ??= (() => {
  const gc = { count: 0, ms: 0, byKind: {} };
  const kinds = { 1: 'minor', 2: 'major', 4: 'incremental', 8: 'weakcb' };
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const kind = kinds[e.detail?.kind] ?? String(e.detail?.kind);
      gc.count += 1;
      gc.ms += e.duration;
      gc.byKind[kind] = (gc.byKind[kind] ?? 0) + e.duration;
    }
  }).observe({ entryTypes: ['gc'] });
  return gc;
})(), true`;

function profilerOver(post, close) {
  const evaluate = async (expression) => {
    const { result, exceptionDetails } = await post('Runtime.evaluate', { expression, returnByValue: true });
    if (exceptionDetails)
      throw new Error(`Runtime.evaluate: ${exceptionDetails.exception?.description ?? exceptionDetails.text}`);
    return result.value;
  };
  return {
    /** Starts counting garbage collections (GC_OBSERVER); gcSoFar() then reads the counts. */
    watchGc: () => evaluate(GC_OBSERVER),
    gcSoFar: () => evaluate('JSON.parse(JSON.stringify(globalThis.__benchGc ?? null))'),
    async start(intervalUs = INTERVAL_US) {
      await post('Profiler.enable');
      await post('Profiler.setSamplingInterval', { interval: intervalUs });
      await post('Profiler.start');
    },
    async stop() {
      const { profile } = await post('Profiler.stop');
      return profile;
    },
    /** V8's sampling heap profiler, counting objects the GC has collected too: what the window allocated. */
    startAllocations: () =>
      post('HeapProfiler.startSampling', {
        samplingInterval: 32768,
        includeObjectsCollectedByMajorGC: true,
        includeObjectsCollectedByMinorGC: true,
      }),
    async stopAllocations() {
      const { profile } = await post('HeapProfiler.stopSampling');
      return profile;
    },
    close,
  };
}
