// SPDX-License-Identifier: Apache-2.0
import { defineCommand } from '../command';
import { userKey } from '../needs';
import { int, need } from '../options';

export const audit = defineCommand({
  name: 'audit',
  usage: [{ synopsis: '--key FILE --record ID [--page-size N] [--bookmark B]' }],
  needs: userKey,
  parse: ({ values }) => ({
    record: need(values, 'record'),
    page: { pageSize: int(values['page-size'], 'page-size', 100), bookmark: values.bookmark ?? '' },
  }),
  run: ({ record, page }, { client, user }) => client.audit(user, record, page),
  print(r) {
    const lines = r.items.map(
      (e) =>
        `  ${new Date(e.at).toISOString()}  ${e.action.padEnd(6)} by ${e.actorKeyId.slice(0, 16)}…${e.subjectKeyId ? ` for ${e.subjectKeyId.slice(0, 16)}…` : ''}  via ${e.appId} (${e.org})  tx ${e.txId.slice(0, 12)}…`,
    );
    return { data: r, text: `${r.items.length} audit entries\n${lines.join('\n')}` };
  },
});
