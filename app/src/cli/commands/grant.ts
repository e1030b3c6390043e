// SPDX-License-Identifier: Apache-2.0
import { defineCommand } from '../command';
import { userKey } from '../needs';
import { need } from '../options';

export const grant = defineCommand({
  name: 'grant',
  usage: [{ synopsis: '--key FILE --record ID --to KEYID' }],
  needs: userKey,
  parse: ({ values }) => ({ record: need(values, 'record'), to: need(values, 'to') }),
  run: ({ record, to }, { client, user }) => client.grant(user, record, to),
  print: (r) => ({ data: r, text: `granted ${r.granteeKeyId} access to record ${r.recordId}` }),
});
