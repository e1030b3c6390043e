// SPDX-License-Identifier: Apache-2.0
// npm run bench:files — the large-file data path (issue #13) against plain SM4-CTR of the same
// bytes, measured in the same run: the SDK's chunked encryption streamed into the gateway's
// staging writer (which computes the §16 leaves) on the embedded store, and the download from the
// store through the leaf-checking decryptor into a file (the SDK's decryptToFile); peak RSS of the
// process while each runs; and the 2-of-3 re-encryption round trip (key fragments made, three
// proxies re-encrypt, the receiver verifies and opens the key); and what a resume costs: an upload
// cut off halfway and resumed from the gateway's committed offset (the SDK re-encrypts from there,
// the gateway keeps the leaves of the parts it stored), against the same upload uninterrupted, and
// what re-hashing the stored prefix would cost instead of keeping those leaves.
//
// Each size is measured in BENCH_ROUNDS rounds (each round runs every case once, the baseline
// first); each case's best round is reported, as bench:crypto does, so that a shared machine's
// other work weighs less on the ratios. The median round's ratio is printed too.
//
// Environment: BENCH_FILE_SIZES (MiB, comma-separated; default 16,256,1024), BENCH_ROUNDS (3),
// BENCH_TPRE_RUNS (20). Figures go to docs/benchmarks.md; nothing here asserts a time.
import { createCipheriv, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { machineLine } from './load.mjs';

const require = createRequire(import.meta.url);
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const { checkedLeaves, decryptToFile, encryptFileStream } = require(join(root, 'app/dist/files/file-streams.js'));
const { EmbeddedBlobStore } = require(join(root, 'gateway/dist/storage/embedded-blob-store.js'));
const { ResumableStaging, digestOfStored, leavesBytes } = require(join(root, 'gateway/dist/storage/staging-writer.js'));
const tpre = require(join(root, 'crypto/dist/tpre/index.js'));

const SIZES = (process.env.BENCH_FILE_SIZES ?? '16,256,1024').split(',').map(Number);
const TPRE_RUNS = Number(process.env.BENCH_TPRE_RUNS ?? 20);
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3));
const CHUNK = 1024 * 1024;
const MiB = 1024 * 1024;

/**
 * Peak resident set (MiB) while `work` runs, sampled every 20 ms, and the CPU time of all the
 * process's threads (main, leaf workers, the thread pool's reads and writes) it took.
 */
async function withPeakRss(work) {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  const start = process.hrtime.bigint();
  const cpuStart = process.cpuUsage();
  try {
    const result = await work();
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    const cpu = process.cpuUsage(cpuStart);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    return { result, seconds, cpuSeconds, peakMiB: Math.max(peak, process.memoryUsage().rss) / MiB };
  } finally {
    clearInterval(timer);
  }
}

async function writeRandomFile(path, mib) {
  const out = createWriteStream(path);
  for (let i = 0; i < mib; i++) if (!out.write(randomBytes(MiB))) await new Promise((r) => out.once('drain', r));
  await new Promise((r, j) => out.end((e) => (e ? j(e) : r())));
}

const sink = () =>
  new Writable({
    write(_chunk, _enc, done) {
      done();
    },
  });

/** The gateway's staging of an upload body (docs/protocol.md §17): resumable parts, leaves computed on the way. */
function stage(store, key, body, size) {
  return new ResumableStaging(store, key, { size, chunkBytes: CHUNK }).append(body, 0);
}

/** A stream that fails after `bytes` bytes, as a dropped connection does. */
function cutAfter(bytes) {
  let seen = 0;
  return new Transform({
    transform(chunk, _enc, done) {
      seen += chunk.length;
      if (seen > bytes) done(new Error('connection reset'));
      else done(null, chunk);
    },
  });
}

/** One upload cut at half its size and resumed from the committed offset; the same uninterrupted; a re-hash of the stored prefix. */
async function measureResume(store, plain, mib) {
  const key = randomBytes(16);
  const size = statSync(plain).size;
  const whole = await withPeakRss(async () => {
    const { stream } = encryptFileStream(plain, { key, chunkBytes: CHUNK });
    return stage(store, `staging/whole-${mib}`, stream, size);
  });
  await store.delete(`staging/whole-${mib}`);
  const staging = new ResumableStaging(store, `staging/resumed-${mib}`, { size, chunkBytes: CHUNK });
  // Cut inside a part (3 MiB past half), as a real drop is: what the gateway had not stored whole is sent again.
  const cut = size / 2 + 3 * MiB;
  let committed = 0;
  const resumed = await withPeakRss(async () => {
    const leaves = [];
    const first = encryptFileStream(plain, { key, chunkBytes: CHUNK, leaves });
    await staging.append(first.stream.pipe(cutAfter(cut)), 0).catch(() => undefined);
    first.stream.destroy();
    committed = staging.committed;
    const again = encryptFileStream(plain, { key, chunkBytes: CHUNK, firstChunk: committed / CHUNK, leaves });
    return staging.append(again.stream, committed);
  });
  if (Buffer.compare(Buffer.from(resumed.result.root), Buffer.from(whole.result.root)) !== 0)
    throw new Error('the resumed upload has another root');
  // The alternative to keeping the leaves: hash the committed prefix again on resume.
  const rehash = await withPeakRss(() => digestOfStored(store, `staging/resumed-${mib}`, CHUNK));
  await store.delete(`staging/resumed-${mib}`);
  return { whole, resumed, rehash, committed, size, cut };
}

async function plainSm4(path) {
  const cipher = createCipheriv('sm4-ctr', randomBytes(16), randomBytes(16));
  await pipeline(createReadStream(path, { highWaterMark: CHUNK }), cipher, sink());
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function tpreRoundTrip() {
  const delegating = tpre.generateKeyPair();
  const receiver = tpre.generateKeyPair();
  const { capsule, key } = tpre.encapsulate(delegating.publicKey);
  const context = new TextEncoder().encode('medshare bench');
  const times = [];
  for (let i = 0; i < TPRE_RUNS; i++) {
    const t0 = process.hrtime.bigint();
    const kfrags = tpre.generateKeyFragments(delegating, receiver.publicKey, 2, 3);
    const t1 = process.hrtime.bigint();
    const cfrags = kfrags.map((k) => tpre.reEncrypt(k, capsule, context));
    const t2 = process.hrtime.bigint();
    const opened = tpre.decapsulateFragments(receiver, delegating.publicKey, capsule, cfrags.slice(0, 2), 2, context);
    const t3 = process.hrtime.bigint();
    if (Buffer.compare(Buffer.from(opened), Buffer.from(key)) !== 0)
      throw new Error('the fragments opened another key');
    times.push({ share: Number(t1 - t0) / 1e6, proxies: Number(t2 - t1) / 1e6, open: Number(t3 - t2) / 1e6 });
  }
  return {
    share: median(times.map((t) => t.share)),
    perProxy: median(times.map((t) => t.proxies)) / 3,
    open: median(times.map((t) => t.open)),
    roundTrip: median(times.map((t) => t.proxies / 3 + t.open)),
  };
}

/** One round of every case over the plaintext file `plain` (`mib` MiB), the baseline first. */
async function measure(store, dir, plain, mib) {
  const baseline = await withPeakRss(() => plainSm4(plain));
  const key = randomBytes(16);
  // The SDK's side (encrypt, compute the leaves) and the gateway's (stage, compute them again)
  // run in different processes in real use; here each is timed alone, then both chained.
  const cipherFile = join(dir, `cipher-${mib}.bin`);
  const sdk = await withPeakRss(async () => {
    const { stream } = encryptFileStream(plain, { key, chunkBytes: CHUNK });
    await pipeline(stream, createWriteStream(cipherFile));
  });
  const size = statSync(plain).size;
  const gateway = await withPeakRss(() =>
    stage(store, `staging/gw-${mib}`, createReadStream(cipherFile, { highWaterMark: CHUNK }), size),
  );
  await store.delete(`staging/gw-${mib}`);
  rmSync(cipherFile, { force: true });
  const upload = await withPeakRss(async () => {
    const { stream } = encryptFileStream(plain, { key, chunkBytes: CHUNK });
    const result = await stage(store, `staging/bench-${mib}`, stream, size);
    await store.put(`files/bench-${mib}.leaves`, Readable.from([leavesBytes(result.leaves)]));
    return result;
  });
  const staged = upload.result;
  const download = await withPeakRss(async () => {
    const leaves = checkedLeaves(leavesBytes(staged.leaves), { root: staged.root, size, chunkBytes: CHUNK });
    await decryptToFile(await store.get(`staging/bench-${mib}`), join(dir, `out-${mib}.bin`), {
      key,
      size,
      chunkBytes: CHUNK,
      leaves,
    });
  });
  await store.delete(`staging/bench-${mib}`);
  await store.delete(`files/bench-${mib}.leaves`);
  rmSync(join(dir, `out-${mib}.bin`), { force: true });
  return { baseline, sdk, gateway, upload, download };
}

async function main() {
  console.log(`medshare bench:files — ${new Date().toISOString()}`);
  console.log(machineLine());
  const dir = mkdtempSync(join(os.tmpdir(), 'medshare-bench-files-'));
  const store = new EmbeddedBlobStore({ dir: join(dir, 'blobs') });
  await store.ready();
  const rows = [];
  const resumes = [];
  try {
    for (const mib of SIZES) {
      const plain = join(dir, `plain-${mib}.bin`);
      await writeRandomFile(plain, mib);
      const rounds = [];
      for (let round = 0; round < ROUNDS; round++) rounds.push(await measure(store, dir, plain, mib));
      resumes.push({ mib, ...(await measureResume(store, plain, mib)) });
      // The best round of each case (the shortest time), and its peak RSS the largest of any round.
      const best = (name) => {
        const runs = rounds.map((r) => r[name]);
        const fastest = runs.reduce((a, b) => (b.seconds < a.seconds ? b : a));
        return { ...fastest, peakMiB: Math.max(...runs.map((r) => r.peakMiB)) };
      };
      const [baseline, sdk, gateway, upload, download] = ['baseline', 'sdk', 'gateway', 'upload', 'download'].map(best);
      const medianRatio = (name) => median(rounds.map((r) => r.baseline.seconds / r[name].seconds));
      const medians = { sdk: medianRatio('sdk'), download: medianRatio('download') };
      // CPU seconds per GiB (median round): what each case costs whatever the scheduling. With no
      // second core free, a case's ratio cannot exceed the baseline's CPU over its own.
      const cpuPerGiB = (name) => median(rounds.map((r) => (r[name].cpuSeconds * 1024) / mib));
      medians.cpu = { baseline: cpuPerGiB('baseline'), sdk: cpuPerGiB('sdk'), download: cpuPerGiB('download') };
      rows.push({ mib, baseline, sdk, gateway, upload, download, medians });
      rmSync(plain, { force: true });
    }
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }

  const rate = (mib, r) => mib / r.seconds;
  console.log(
    '\n| size | plain SM4-CTR MiB/s | SDK encrypt + leaves | gateway stage + leaves | both in one process | download: verify + decrypt | peak RSS (MiB) |',
  );
  console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  let worst = Infinity;
  let peak = 0;
  const cell = (mib, r, b) => `${rate(mib, r).toFixed(0)} (${(rate(mib, r) / b).toFixed(2)}×)`;
  for (const { mib, baseline, sdk, gateway, upload, download } of rows) {
    const b = rate(mib, baseline);
    worst = Math.min(worst, rate(mib, sdk) / b, rate(mib, download) / b);
    peak = Math.max(peak, sdk.peakMiB, gateway.peakMiB, upload.peakMiB, download.peakMiB);
    console.log(
      `| ${mib} MiB | ${b.toFixed(0)} | ${cell(mib, sdk, b)} | ${cell(mib, gateway, b)} | ${cell(mib, upload, b)} | ${cell(mib, download, b)} | ${Math.max(sdk.peakMiB, gateway.peakMiB, upload.peakMiB, download.peakMiB).toFixed(0)} |`,
    );
  }
  console.log(
    `\nbest of ${ROUNDS} round(s) per case; the median round's ratio: ${rows
      .map(({ mib, medians }) => `${mib} MiB SDK ${medians.sdk.toFixed(2)}×, download ${medians.download.toFixed(2)}×`)
      .join('; ')}`,
  );
  for (const { mib, whole, resumed, rehash, committed, size, cut } of resumes) {
    const resent = (cut - committed) / MiB;
    console.log(
      `resume, ${mib} MiB cut at ${(cut / MiB).toFixed(0)} MiB: the gateway had ${(committed / MiB).toFixed(0)} MiB (whole 8 MiB parts), ${resent.toFixed(1)} MiB sent again; ` +
        `cut + resumed ${resumed.seconds.toFixed(2)} s vs uninterrupted ${whole.seconds.toFixed(2)} s (${(resumed.seconds / whole.seconds).toFixed(2)}×); ` +
        `kept leaves ${((Math.ceil(size / CHUNK) * 32) / 1024).toFixed(0)} KiB, where re-hashing the stored object would take ${rehash.seconds.toFixed(2)} s (${(mib / rehash.seconds).toFixed(0)} MiB/s)`,
    );
  }
  console.log(
    `CPU s/GiB, all threads (median round): ${rows
      .map(
        ({ mib, medians: { cpu } }) =>
          `${mib} MiB plain ${cpu.baseline.toFixed(1)}, SDK ${cpu.sdk.toFixed(1)}, download ${cpu.download.toFixed(1)} (one-core ceilings ${(cpu.baseline / cpu.sdk).toFixed(2)}× / ${(cpu.baseline / cpu.download).toFixed(2)}×)`,
      )
      .join('; ')}; load now ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  const t = tpreRoundTrip();
  console.log(
    `\n2-of-3 re-encryption (median of ${TPRE_RUNS}): make 3 key fragments ${t.share.toFixed(1)} ms; one proxy's re-encryption ${t.perProxy.toFixed(1)} ms; verify 2 capsule fragments and open ${t.open.toFixed(1)} ms; round trip (proxies in parallel + open) ${t.roundTrip.toFixed(1)} ms`,
  );
  console.log(
    `goals: the SDK's upload and the download ≥ 0.80× plain SM4-CTR: worst ${worst.toFixed(2)} (${worst >= 0.8 ? 'PASS' : 'MISS'}); peak RSS < 200 MiB: ${peak.toFixed(0)} MiB (${peak < 200 ? 'PASS' : 'MISS'}); round trip ≤ 100 ms: ${t.roundTrip.toFixed(1)} ms (${t.roundTrip <= 100 ? 'PASS' : 'MISS'})`,
  );
}

await main();
