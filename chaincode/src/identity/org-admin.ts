import { fail } from '@medshare/protocol';

interface IdentityLike {
  getMSPID(): string;
  getID(): string;
}

/**
 * Org admins are the Fabric identities whose certificate subject carries OU=admin (Fabric's
 * NodeOU for admins, as cryptogen and Fabric CA issue them). The shim formats getID() as
 * `x509::/K=V/…/OU=admin/…::<issuer>`.
 */
export function isOrgAdmin(identity: IdentityLike): boolean {
  const id = identity.getID();
  const subject = id.startsWith('x509::') ? (id.slice(6).split('::')[0] ?? '') : '';
  return subject.split('/').includes('OU=admin');
}

/** Throws NOT_ORG_ADMIN unless the caller is an admin of `mspId` (or of any org when omitted). */
export function assertOrgAdmin(identity: IdentityLike, mspId?: string): string {
  const callerMsp = identity.getMSPID();
  if (!isOrgAdmin(identity)) throw fail('NOT_ORG_ADMIN', `caller of ${callerMsp} is not an org admin (certificate OU must be admin)`);
  if (mspId !== undefined && callerMsp !== mspId) throw fail('NOT_ORG_ADMIN', `caller is an admin of ${callerMsp}, not of ${mspId}`);
  return callerMsp;
}
