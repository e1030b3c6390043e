// SPDX-License-Identifier: Apache-2.0
import { writeFileSync } from 'node:fs';
import { defineCommand } from '../command';
import { userKey } from '../needs';
import { need } from '../options';

export const view = defineCommand({
  name: 'view',
  usage: [{ synopsis: '--key FILE --record ID [--out FILE]' }],
  needs: userKey,
  parse: ({ values }) => ({ record: need(values, 'record'), out: values.out }),
  async run({ record, out }, { client, user }) {
    const r = await client.view(user, record);
    if (out) writeFileSync(out, r.content, { mode: 0o600 });
    return { ...r, out };
  },
  print({ out, ...r }) {
    if (out)
      return {
        data: { recordId: r.recordId, accessId: r.accessId, metadata: r.metadata, out },
        text: `record ${r.recordId} (${r.metadata.kind}) written to ${out}\n  access ${r.accessId}`,
      };
    const text = Buffer.from(r.content).toString('utf8');
    return {
      data: { recordId: r.recordId, accessId: r.accessId, metadata: r.metadata, content: text },
      text: `record ${r.recordId} (${r.metadata.kind})\n  access ${r.accessId}\n${text}`,
    };
  },
});
