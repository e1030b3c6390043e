// SPDX-License-Identifier: Apache-2.0
import type { DeliveredEvent } from '@medshare/protocol';
import { defineCommand } from '../command';
import { userKey } from '../needs';
import { UsageError } from '../options';

const EVENT_ID = /^(0|[1-9][0-9]{0,15})-(0|[1-9][0-9]{0,5})$/;

const line = (e: DeliveredEvent): string =>
  `${e.id}  ${new Date(e.at).toISOString()}  ${e.action.padEnd(6)} record ${e.recordId.slice(0, 16)}… by ${e.actorKeyId.slice(0, 16)}…${e.subjectKeyId ? ` for ${e.subjectKeyId.slice(0, 16)}…` : ''} (${e.org})  tx ${e.txId.slice(0, 12)}…`;

/** One line per event as it arrives (JSON lines with --json); with --follow, until interrupted. */
export const events = defineCommand({
  name: 'events',
  usage: [
    { synopsis: '--key FILE [--after ID] [--follow]', summary: 'access notifications of your records, one line each' },
  ],
  needs: userKey,
  parse({ values }) {
    if (values.after !== undefined && !EVENT_ID.test(values.after))
      throw new UsageError('--after must be an event id like 12-0');
    return {
      follow: values.follow === true,
      json: values.json === true,
      ...(values.after === undefined ? {} : { after: values.after }),
    };
  },
  async run({ json, ...options }, { client, user }, io) {
    let count = 0;
    for await (const e of client.events(user, options)) {
      count += 1;
      io.out(json ? `${JSON.stringify(e)}\n` : `${line(e)}\n`);
    }
    if (count === 0 && !json) io.out('no events\n');
  },
  print: () => undefined,
});
