// SPDX-License-Identifier: Apache-2.0
// The medshare CLI as the research and indicators demos drive it: one child process per call, its
// refusals read as JSON, numbered steps on stdout.
import { execFile } from 'node:child_process';

/**
 * `medshare(args)` resolves with stdout, or with stderr of an expected refusal (exit 1). A refusal
 * for RATE_LIMITED wrote nothing (it is refused before the body is read): a demo opens a session
 * per CLI call, and right after another demo the gateway's 60 session opens a minute per address
 * can be spent, so the call waits and is made again (at most 5 times, 15 s apart).
 */
export function demoCli({ cli, env, cwd, extraArgs = [] }) {
  const run = (args) =>
    new Promise((done) => {
      execFile(
        process.execPath,
        [cli, ...args, ...extraArgs],
        { env, cwd, encoding: 'utf8' },
        (error, stdout, stderr) => done({ code: error ? error.code : 0, stdout, stderr }),
      );
    });
  async function medshare(args, { expectFailure = false } = {}) {
    const what = `medshare ${args.slice(0, 2).join(' ')}`;
    for (let attempt = 0; ; attempt++) {
      const r = await run(args);
      if (r.code === 1 && r.stderr.includes('RATE_LIMITED') && attempt < 5) {
        process.stdout.write(`   (the gateway's rate limit: ${what} again in 15 s)\n`);
        await new Promise((wake) => setTimeout(wake, 15_000));
        continue;
      }
      if (r.code === 0 && !expectFailure) return r.stdout;
      if (r.code === 1 && expectFailure) return r.stderr;
      throw Object.assign(new Error(r.code === 0 ? `${what} should have been refused` : `${what} exited ${r.code}`), {
        stderr: r.stderr,
      });
    }
  }
  return {
    medshare,
    json: async (args) => JSON.parse(await medshare([...args, '--json'])),
    refusal: async (args) => JSON.parse((await medshare([...args, '--json'], { expectFailure: true })).trim()),
  };
}

/** Numbered steps: `say(text, detail)` prints the step and its detail indented. */
export function narrator() {
  let step = 0;
  return (text, detail = '') => {
    step += 1;
    process.stdout.write(`\n${step}. ${text}\n${detail ? `${detail.trimEnd().replace(/^/gm, '   ')}\n` : ''}`);
  };
}

/** Stops the demo (it exits non-zero) when a step did not do what it should. */
export function expect(condition, what) {
  if (!condition) throw new Error(what);
}
