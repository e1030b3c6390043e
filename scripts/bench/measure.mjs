// SPDX-License-Identifier: Apache-2.0
// Timing for the bench scripts: best-of-rounds measurement on a shared machine (other processes
// only ever slow a round down, so the best round is the figure; the median shows the noise).
// BENCH_SECONDS=<s> changes the per-case budget (default 1 s).

export const CASE_SECONDS = Number(process.env.BENCH_SECONDS ?? 1);
const WARMUP_SECONDS = 0.2;

export const now = () => Number(process.hrtime.bigint()) / 1e9;

/**
 * Runs `fn` (after `setup`, untimed, before each call if given) for ~seconds in ROUNDS rounds,
 * at least minIter and at most maxIter calls in all, after a short warm-up. Other processes on
 * a shared machine only ever slow a round down, so the best round is the figure reported; the
 * median round is kept to show the noise. Returns seconds per call.
 */
export const ROUNDS = 5;
export function measure(fn, { seconds = CASE_SECONDS, minIter = 3, maxIter = 1e7, setup } = {}) {
  const until = now() + WARMUP_SECONDS;
  let n = 0;
  do {
    setup?.();
    fn();
    n++;
  } while (now() < until && n < maxIter);
  const rounds = [];
  let total = 0;
  const perRoundMin = Math.max(1, Math.ceil(minIter / ROUNDS));
  const perRoundMax = Math.max(1, Math.floor(maxIter / ROUNDS));
  const start = now();
  for (let r = 0; r < ROUNDS; r++) {
    let iter = 0;
    let spent = 0;
    const roundStart = now();
    while (iter < perRoundMin || (spent < seconds / ROUNDS && iter < perRoundMax)) {
      if (setup) {
        setup();
        const t = now();
        fn();
        spent += now() - t;
      } else {
        fn();
        spent = now() - roundStart;
      }
      iter++;
    }
    rounds.push(spent / iter);
    total += iter;
    if (now() - start > 10 * seconds + 5) break; // safety net for very slow cases
  }
  return summarize(rounds, total);
}

export async function measureAsync(fn, { seconds = CASE_SECONDS, maxIter = 1e6 } = {}) {
  for (let i = 0; i < 5; i++) await fn(); // warm-up
  const rounds = [];
  let total = 0;
  const perRoundMax = Math.max(1, Math.floor(maxIter / ROUNDS));
  for (let r = 0; r < ROUNDS; r++) {
    let iter = 0;
    const start = now();
    while (iter < 1 || (now() - start < seconds / ROUNDS && iter < perRoundMax)) {
      await fn();
      iter++;
    }
    rounds.push((now() - start) / iter);
    total += iter;
  }
  return summarize(rounds, total);
}

export function summarize(rounds, iter) {
  const sorted = [...rounds].sort((a, b) => a - b);
  return {
    perCall: sorted[0],
    median: sorted[Math.floor(sorted.length / 2)],
    iter,
  };
}
