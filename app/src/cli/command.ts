// SPDX-License-Identifier: Apache-2.0
import type { Values } from './options';

export interface Io {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly env: NodeJS.ProcessEnv;
}

/** A command's part of the command line: all flags, and the positionals after its name. */
export interface Input {
  readonly values: Values;
  readonly positionals: readonly string[];
}

/** What a command prints: `text` by default, `data` as one JSON line with --json. */
export interface Printed {
  readonly data: unknown;
  readonly text: string;
}

/** One line of the usage text: what follows the command's name, and what it does. */
export interface UsageLine {
  readonly synopsis: string;
  readonly summary?: string;
}

export type NeedKind = 'nothing' | 'client' | 'user key' | 'admin token';

/** Something a command needs before it runs, and closes after it. */
export interface Held<P> {
  readonly value: P;
  close(): void;
}

/** What a command declares it needs: nothing, a client, a client and the user's key, or the admin API. */
export interface Need<P> {
  readonly kind: NeedKind;
  acquire(values: Values, io: Io): Promise<Held<P>>;
}

export interface CommandSpec<P, A, R> {
  readonly name: string;
  readonly usage: readonly UsageLine[];
  readonly needs: Need<P>;
  /** Checks the command's arguments (throws UsageError); runs once its needs are held. */
  parse(input: Input): A;
  run(args: A, provided: P, io: Io): Promise<R>;
  /** `undefined` when `run` already wrote its output (a stream, line by line). */
  print(result: R): Printed | undefined;
}

/** A command as the dispatcher sees it. */
export interface Command {
  readonly name: string;
  readonly usage: readonly UsageLine[];
  readonly needs: NeedKind;
  execute(input: Input, io: Io): Promise<Printed | undefined>;
}

/**
 * Needs are acquired before the arguments are parsed: the order of checks the CLI always had
 * (the app config, then the key file, then the command's own flags).
 */
export function defineCommand<P, A, R>(spec: CommandSpec<P, A, R>): Command {
  return {
    name: spec.name,
    usage: spec.usage,
    needs: spec.needs.kind,
    async execute(input: Input, io: Io): Promise<Printed | undefined> {
      const held = await spec.needs.acquire(input.values, io);
      try {
        return spec.print(await spec.run(spec.parse(input), held.value, io));
      } finally {
        held.close();
      }
    },
  };
}
