import { EmbeddedBackend } from '../ledger/embedded';
import type { Gateway } from '../runtime';

/**
 * The embedded runtime registers this gateway's K3 keys on its own ledger at start (as its
 * org's admin), so a fresh data directory works at once. On Fabric an org admin does this with
 * scripts/admin/register-access-key.sh. Idempotent: the contract accepts an identical entry.
 */
export async function bootstrapAccessKeys(gateway: Gateway): Promise<void> {
  if (!(gateway.ledger instanceof EmbeddedBackend)) return;
  for (const k3 of gateway.accessLayer.keys.k3) {
    await gateway.ledger.submitAsAdmin('RegisterAccessKey', [k3.publicKey, String(k3.notBefore), String(k3.notAfter)]);
  }
}
