// SPDX-License-Identifier: Apache-2.0
import { utf8 } from '@medshare/crypto/bytes';
import { readFileSync } from 'node:fs';
import { defineCommand } from '../command';
import { userKey } from '../needs';
import { checkedJson, UsageError } from '../options';

export const upload = defineCommand({
  name: 'upload',
  usage: [{ synopsis: '--key FILE (--file PATH | --data JSON) [--kind KIND]' }],
  needs: userKey,
  parse({ values }) {
    const content = values.file
      ? new Uint8Array(readFileSync(values.file))
      : values.data
        ? utf8(checkedJson(values.data))
        : undefined;
    if (!content) throw new UsageError('upload needs --file PATH or --data JSON');
    return {
      content,
      kind: values.kind ?? (values.file ? 'document' : 'clinical-note'),
      ...(values.pseudonym ? { patientId: values.pseudonym } : {}),
    };
  },
  run: (record, { client, user }) => client.upload(user, record),
  print: (r) => ({
    data: r,
    text: `uploaded record ${r.recordId}\n  content hash (SM3 of the ciphertext) ${r.contentHash}`,
  }),
});
