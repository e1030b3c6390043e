// SPDX-License-Identifier: Apache-2.0
import type { Command } from './command';

const HEADER = `medshare — patient-controlled medical record sharing (SM2/SM3/SM4 over Hyperledger Fabric)

usage: medshare <command> [options]          (global: --config FILE, --gateway URL, --json)`;

const SECTIONS = [
  {
    heading: "user commands (the key file's passphrase comes from MEDSHARE_PASSPHRASE or a prompt):",
    holds: (c: Command): boolean => c.needs !== 'admin token',
  },
  {
    heading: "admin commands (embedded runtime; the admin token comes from the app config's adminTokenFile):",
    holds: (c: Command): boolean => c.needs === 'admin token',
  },
];

const FOOTER = `the app config defaults to $MEDSHARE_APP_CONFIG or $MEDSHARE_DATA_DIR/app/app.json (.data, created by npm start).
exit codes: 0 ok, 1 refused (the error code is printed), 2 usage error.`;

/** Summaries start in this column, or two spaces after the longest synopsis that has one. */
const SUMMARY_COLUMN = 55;

/** The usage text, from each command's declared usage lines; names are aligned within a section. */
export function usageText(commands: readonly Command[]): string {
  const sections = SECTIONS.map(({ heading, holds }) => {
    const members = commands.filter(holds);
    const width = Math.max(...members.map((c) => c.name.length));
    const lines = members.flatMap((c) =>
      c.usage.map((u) => ({ head: `  ${c.name.padEnd(width)} ${u.synopsis}`, summary: u.summary })),
    );
    const column = Math.max(SUMMARY_COLUMN, ...lines.filter((l) => l.summary).map((l) => l.head.length + 2));
    return [heading, ...lines.map((l) => (l.summary ? `${l.head.padEnd(column)}${l.summary}` : l.head))].join('\n');
  });
  return [HEADER, ...sections, FOOTER].join('\n\n');
}
