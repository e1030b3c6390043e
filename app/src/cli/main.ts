// SPDX-License-Identifier: Apache-2.0
import { MedshareError } from '@medshare/protocol';
import type { Io } from './command';
import { COMMANDS } from './commands';
import { parseCommandLine, UsageError } from './options';
import { usageText } from './usage';

export type { Io } from './command';

export const USAGE = usageText(COMMANDS);

const defaultIo: Io = { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t), env: process.env };

/** Runs the CLI; returns the exit code. */
export async function main(argv: readonly string[], io: Io = defaultIo): Promise<number> {
  let json = argv.includes('--json');
  try {
    const { values, positionals } = parseCommandLine(argv);
    json = values.json === true;
    const [name, ...rest] = positionals;
    if (values.help || !name) {
      io.out(`${USAGE}\n`);
      return name || values.help ? 0 : 2;
    }
    const command = COMMANDS.find((c) => c.name === name);
    if (!command) throw new UsageError(`unknown command ${name}`);
    const printed = await command.execute({ values, positionals: rest }, io);
    if (printed) io.out(json ? `${JSON.stringify(printed.data)}\n` : `${printed.text}\n`);
    return 0;
  } catch (error) {
    return report(error, json, io);
  }
}

function report(error: unknown, json: boolean, io: Io): number {
  if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
    io.err(`usage error: ${(error as Error).message}\nrun medshare --help\n`);
    return 2;
  }
  if (error instanceof MedshareError) {
    // An unknown outcome names its transaction, so an operator can look it up on the ledger.
    const txId = typeof error.context.txId === 'string' ? error.context.txId : undefined;
    io.err(
      json
        ? `${JSON.stringify({ code: error.code, message: error.detail, ...(txId ? { txId } : {}) })}\n`
        : `error ${error.code}: ${error.detail}${txId ? ` (transaction ${txId})` : ''}\n`,
    );
    return 1;
  }
  io.err(`error INTERNAL: ${(error as Error).message}\n`);
  return 1;
}
