// SPDX-License-Identifier: Apache-2.0
import { defineCommand } from '../command';
import { adminToken, type AdminCall } from '../needs';
import { int, need, UsageError, type Values } from '../options';
import type { Printed } from '../command';

type Verb = (call: AdminCall) => Promise<Printed>;

function approve(keyId: string | undefined): Verb {
  if (!keyId) throw new UsageError('admin approve needs a KEYID');
  return async (call) => {
    const r = (await call('post', `/v1/admin/users/${keyId}/approve`)) as { keyId: string; role: string };
    return { data: r, text: `approved ${r.role} ${r.keyId}` };
  };
}

function registerK3(values: Values): Verb {
  const body = {
    publicKey: need(values, 'public-key'),
    notBefore: int(values['not-before'], 'not-before'),
    notAfter: int(values['not-after'], 'not-after'),
  };
  return async (call) => {
    const r = await call('post', '/v1/admin/access-keys', body);
    return { data: r, text: `registered K3 ${(r as { keyId: string }).keyId}` };
  };
}

function retireK3(keyId: string | undefined, values: Values): Verb {
  if (!keyId) throw new UsageError('admin retire-k3 needs a KEYID');
  const body = values.at ? { retireAt: int(values.at, 'at') } : {};
  return async (call) => {
    const r = await call('post', `/v1/admin/access-keys/${keyId}/retire`, body);
    return { data: r, text: `retired K3 ${keyId}` };
  };
}

/** The org's app-version policy: `--min V` and `--deny V,V` (either may be absent; neither opens it). */
function appPolicy(values: Values): Verb {
  const body = {
    ...(values.min ? { minVersion: values.min } : {}),
    denied: values.deny ? values.deny.split(',') : [],
  };
  return async (call) => {
    const r = (await call('post', '/v1/admin/app-policy', body)) as {
      org: string;
      minVersion?: string;
      denied: string[];
    };
    return {
      data: r,
      text: `app-version policy of ${r.org}: minimum ${r.minVersion ?? 'none'}, denied ${r.denied.length > 0 ? r.denied.join(', ') : 'none'}`,
    };
  };
}

function recordAudit(values: Values): Verb {
  const record = need(values, 'record');
  return async (call) => {
    const r = (await call('get', `/v1/admin/records/${record}/audit`)) as {
      items: Array<{ action: string; actorKeyId: string; at: number }>;
    };
    return {
      data: r,
      text: `${r.items.length} audit entries\n${r.items.map((e) => `  ${new Date(e.at).toISOString()} ${e.action} by ${e.actorKeyId}`).join('\n')}`,
    };
  };
}

/** The org admin's verbs over the gateway's admin API (embedded runtime; on Fabric, scripts/admin/). */
export const admin = defineCommand({
  name: 'admin',
  usage: [
    { synopsis: 'approve KEYID' },
    { synopsis: 'register-k3 --public-key HEX --not-before MS --not-after MS' },
    { synopsis: 'retire-k3 KEYID [--at MS]' },
    { synopsis: 'audit --record ID' },
    { synopsis: 'app-policy [--min VERSION] [--deny V1,V2]', summary: "this org's app versions (none: any)" },
  ],
  needs: adminToken,
  parse({ positionals: [verb, arg], values }): Verb {
    switch (verb) {
      case 'approve':
        return approve(arg);
      case 'register-k3':
        return registerK3(values);
      case 'retire-k3':
        return retireK3(arg, values);
      case 'audit':
        return recordAudit(values);
      case 'app-policy':
        return appPolicy(values);
      default:
        throw new UsageError('admin needs approve, register-k3, retire-k3, audit or app-policy');
    }
  },
  run: (verb, call) => verb(call),
  print: (printed) => printed,
});
