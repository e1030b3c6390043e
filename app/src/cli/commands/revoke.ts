// SPDX-License-Identifier: Apache-2.0
import { defineCommand } from '../command';
import { userKey } from '../needs';
import { need } from '../options';

export const revoke = defineCommand({
  name: 'revoke',
  usage: [{ synopsis: '--key FILE --record ID --from KEYID' }],
  needs: userKey,
  parse: ({ values }) => ({ record: need(values, 'record'), from: need(values, 'from') }),
  run: ({ record, from }, { client, user }) => client.revoke(user, record, from),
  print: (r) => ({ data: r, text: `revoked ${r.granteeKeyId} from record ${r.recordId}` }),
});
