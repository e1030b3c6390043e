// SPDX-License-Identifier: Apache-2.0
import { defineCommand } from '../command';
import { userKey } from '../needs';

/** Logs the key's holder in (docs/protocol.md §7.7): the gateway's challenge, signed with K1; no password. */
export const login = defineCommand({
  name: 'login',
  usage: [{ synopsis: '--key FILE', summary: 'sign a login challenge; prints the K3-signed assertion' }],
  needs: userKey,
  parse: () => undefined,
  run: (_args, { client, user }) => client.login(user),
  print: (signed) => {
    const a = signed.assertion;
    return {
      data: signed,
      text: `logged in ${a.role} ${a.keyId} (${a.userOrg}) through ${a.gatewayOrg}\n  at ${new Date(a.issuedAt).toISOString()}, valid until ${new Date(a.expiresAt).toISOString()}\n  assertion signed by K3 ${signed.k3Id}`,
    };
  },
});
