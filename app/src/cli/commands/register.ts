// SPDX-License-Identifier: Apache-2.0
import type { Role } from '@medshare/protocol';
import { defaultPseudonym } from '../../client/medshare-client';
import { defineCommand } from '../command';
import { userKey } from '../needs';
import { need, UsageError } from '../options';

const ROLES: readonly string[] = ['patient', 'doctor', 'institution'] satisfies Role[];

export const register = defineCommand({
  name: 'register',
  usage: [{ synopsis: '--key FILE --role patient|doctor|institution [--pseudonym HEX]' }],
  needs: userKey,
  parse({ values }) {
    const role = need(values, 'role');
    if (!ROLES.includes(role)) throw new UsageError('--role must be patient, doctor or institution');
    return { role: role as Role, pseudonym: values.pseudonym };
  },
  run: ({ role, pseudonym }, { client, user }) =>
    client.register(user, role, pseudonym ?? defaultPseudonym(user.publicKey)),
  print: (r) => ({
    data: r,
    text: `registered ${r.role} ${r.keyId}\n  status ${r.status}${r.status === 'pending' ? ' (an org admin must approve it)' : ''}\n  pseudonymous id ${r.pseudonym}`,
  }),
});
