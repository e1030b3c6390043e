// SPDX-License-Identifier: Apache-2.0
import type { Page } from '../../client/medshare-client';
import { defineCommand, type Printed } from '../command';
import { userKey } from '../needs';
import { int, type Values } from '../options';

const PAGE_USAGE = [{ synopsis: '--key FILE [--page-size N] [--bookmark B]' }];

const page = (values: Values): { pageSize: number; bookmark: string } => ({
  pageSize: int(values['page-size'], 'page-size', 50),
  bookmark: values.bookmark ?? '',
});

function printPage(what: string, r: Page<{ readonly recordId: string }>): Printed {
  const lines = r.items.map((i) => `  ${i.recordId}  ${JSON.stringify({ ...i, recordId: undefined })}`);
  return {
    data: r,
    text: `${r.items.length} ${what}${r.items.length ? `\n${lines.join('\n')}` : ''}${r.bookmark ? `\n  more: --bookmark ${r.bookmark}` : ''}`,
  };
}

/** The records the user owns. */
export const records = defineCommand({
  name: 'records',
  usage: PAGE_USAGE,
  needs: userKey,
  parse: ({ values }) => page(values),
  run: (p, { client, user }) => client.listRecords(user, p),
  print: (r) => printPage('records', r),
});

/** The records shared with the user. */
export const grants = defineCommand({
  name: 'grants',
  usage: PAGE_USAGE,
  needs: userKey,
  parse: ({ values }) => page(values),
  run: (p, { client, user }) => client.listGrants(user, p),
  print: (r) => printPage('grants', r),
});
