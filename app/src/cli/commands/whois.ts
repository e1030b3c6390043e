// SPDX-License-Identifier: Apache-2.0
import { defineCommand } from '../command';
import { client } from '../needs';
import { UsageError } from '../options';

export const whois = defineCommand({
  name: 'whois',
  usage: [{ synopsis: 'KEYID' }],
  needs: client,
  parse({ positionals: [keyId] }) {
    if (!keyId) throw new UsageError('whois needs a KEYID');
    return keyId;
  },
  run: (keyId, c) => c.directory(keyId),
  print: (user) => ({ data: user, text: `${user.keyId}\n  role ${user.role}, ${user.status}, org ${user.org}` }),
});
