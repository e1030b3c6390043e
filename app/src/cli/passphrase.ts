// SPDX-License-Identifier: Apache-2.0
import { fail } from '@medshare/protocol';

/**
 * The passphrase comes from MEDSHARE_PASSPHRASE or an interactive prompt (input not echoed),
 * never from an argument, where it would show in process listings and shell history.
 */
export async function readPassphrase(env: NodeJS.ProcessEnv, prompt: string, confirm = false): Promise<string> {
  const fromEnv = env.MEDSHARE_PASSPHRASE;
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  if (!process.stdin.isTTY) throw fail('INVALID_INPUT', 'no passphrase: set MEDSHARE_PASSPHRASE or run in a terminal');
  const first = await ask(prompt);
  if (confirm && (await ask('repeat passphrase: ')) !== first) throw fail('INVALID_INPUT', 'passphrases do not match');
  return first;
}

function ask(prompt: string): Promise<string> {
  return new Promise((resolve) => {
    const stdin = process.stdin;
    process.stderr.write(prompt);
    stdin.setRawMode(true);
    stdin.resume();
    let text = '';
    const onData = (chunk: Buffer): void => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') {
          stdin.setRawMode(false);
          stdin.pause();
          stdin.off('data', onData);
          process.stderr.write('\n');
          resolve(text);
          return;
        }
        if (ch === '\u0003') process.exit(130);
        text = ch === '\u007f' ? text.slice(0, -1) : text + ch;
      }
    };
    stdin.on('data', onData);
  });
}
