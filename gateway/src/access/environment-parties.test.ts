// SPDX-License-Identifier: Apache-2.0
import { canonicalize, fail, type AnyRequest } from '@medshare/protocol';
import { ACTIVE_PARTY_CACHE_SIZE, ACTIVE_PARTY_TTL_MS, GatewayEnvironment } from './environment';

/**
 * The registry entries the environment check reads (docs/protocol.md §7.6): an active user's is
 * kept ACTIVE_PARTY_TTL_MS (no transaction changes it), a pending or unknown key's never, so an
 * approval or a registration is seen by the next request.
 */

const ORG = 'Org1MSP';
type Entry = { role: string; status: string } | undefined;

/** A registry of `entries` by key id, counting GetUser calls per key. */
function registry(entries: Record<string, Entry>): {
  env: GatewayEnvironment;
  reads: Map<string, number>;
  entries: Record<string, Entry>;
} {
  const reads = new Map<string, number>();
  const ledger = {
    getUser: (keyId: string): Promise<string> => {
      reads.set(keyId, (reads.get(keyId) ?? 0) + 1);
      const entry = entries[keyId];
      return entry
        ? Promise.resolve(canonicalize({ keyId, org: ORG, ...entry }))
        : Promise.reject(fail('USER_NOT_FOUND', `no user ${keyId}`));
    },
    getAppPolicy: (): Promise<string> => Promise.resolve(canonicalize({ org: ORG, denied: [] })),
  };
  return { env: new GatewayEnvironment({ ledger, org: ORG }), reads, entries };
}

/** A download (`read`) by `keyId`: the author is its holder when a patient, its receiver otherwise. */
const readBy = (keyId: string): AnyRequest => ({ op: 'read', keyId, body: {} }) as unknown as AnyRequest;
const T0 = 1_800_000_000_000;

describe('GatewayEnvironment: registry entries kept', () => {
  it('reads an active author once per ACTIVE_PARTY_TTL_MS, then again', async () => {
    const { env, reads } = registry({ p: { role: 'patient', status: 'active' } });
    await env.check(readBy('p'), T0);
    await env.check(readBy('p'), T0 + 1);
    await env.check(readBy('p'), T0 + ACTIVE_PARTY_TTL_MS - 1);
    expect(reads.get('p')).toBe(1);
    await env.check(readBy('p'), T0 + ACTIVE_PARTY_TTL_MS);
    expect(reads.get('p')).toBe(2);
  });

  it('reads a pending author every time: once approved, the next request passes', async () => {
    const { env, reads, entries } = registry({ d: { role: 'doctor', status: 'pending' } });
    await expect(env.check(readBy('d'), T0)).rejects.toMatchObject({ code: 'NOT_REGISTERED_DOCTOR' });
    await expect(env.check(readBy('d'), T0 + 1)).rejects.toMatchObject({ code: 'NOT_REGISTERED_DOCTOR' });
    entries.d = { role: 'doctor', status: 'active' };
    await expect(env.check(readBy('d'), T0 + 2)).resolves.toBeUndefined();
    expect(reads.get('d')).toBe(3);
  });

  it('reads an unknown key every time: once registered, the next request passes', async () => {
    const { env, reads, entries } = registry({});
    await expect(env.check(readBy('n'), T0)).rejects.toMatchObject({ code: 'NOT_REGISTERED' });
    entries.n = { role: 'patient', status: 'active' };
    await expect(env.check(readBy('n'), T0 + 1)).resolves.toBeUndefined();
    expect(reads.get('n')).toBe(2);
  });

  it('keeps a share`s receiver too, and forgetParties drops what it kept', async () => {
    const { env, reads } = registry({
      p: { role: 'patient', status: 'active' },
      d: { role: 'doctor', status: 'active' },
    });
    const grant = { op: 'grant', keyId: 'p', body: { granteeKeyId: 'd' } } as unknown as AnyRequest;
    await env.check(grant, T0);
    await env.check(grant, T0 + 1);
    expect([reads.get('p'), reads.get('d')]).toEqual([1, 1]);
    env.forgetParties();
    await env.check(grant, T0 + 2);
    expect([reads.get('p'), reads.get('d')]).toEqual([2, 2]);
  });

  it('keeps at most ACTIVE_PARTY_CACHE_SIZE entries, dropping the least recently used', async () => {
    const entries: Record<string, Entry> = {};
    for (let i = 0; i <= ACTIVE_PARTY_CACHE_SIZE; i++) entries[`k${i}`] = { role: 'patient', status: 'active' };
    const { env, reads } = registry(entries);
    await env.check(readBy('k0'), T0);
    await env.check(readBy('k1'), T0);
    await env.check(readBy('k0'), T0); // k0 used again: k1 is now the oldest
    for (let i = 2; i <= ACTIVE_PARTY_CACHE_SIZE; i++) await env.check(readBy(`k${i}`), T0);
    await env.check(readBy('k0'), T0);
    await env.check(readBy('k1'), T0);
    expect([reads.get('k0'), reads.get('k1')]).toEqual([1, 2]);
  });
});
