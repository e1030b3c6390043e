// SPDX-License-Identifier: Apache-2.0
import { X509Certificate } from 'node:crypto';
import { fail } from '@medshare/protocol';

interface IdentityLike {
  getMSPID(): string;
  getID(): string;
  /** On Fabric: the caller's certificate (PEM). Absent only for the in-memory simulator's identities. */
  getIDBytes?(): Uint8Array;
}

/**
 * Org admins are the Fabric identities whose certificate subject has an OU of exactly `admin`
 * (Fabric's NodeOU for admins, as cryptogen and Fabric CA issue them). The subject is read from
 * the certificate itself: the shim's getID() string escapes only the first `/` of a value, so a
 * CN such as `bob/OU=admin` would look like an admin there.
 */
export function isOrgAdmin(identity: IdentityLike): boolean {
  if (typeof identity.getIDBytes === 'function') {
    let subject: string;
    try {
      subject = new X509Certificate(Buffer.from(identity.getIDBytes())).subject;
    } catch {
      return false;
    }
    // One attribute per line; Node escapes line breaks inside values (\0A), so a line is an attribute.
    return subject.split('\n').includes('OU=admin');
  }
  // The in-memory ledger's identities are built by medshare itself (fabricIdentity), not by clients.
  const id = identity.getID();
  const subject = id.startsWith('x509::') ? (id.slice(6).split('::')[0] ?? '') : '';
  return subject.split('/').includes('OU=admin');
}

/** Throws NOT_ORG_ADMIN unless the caller is an admin of `mspId` (or of any org when omitted). */
export function assertOrgAdmin(identity: IdentityLike, mspId?: string): string {
  const callerMsp = identity.getMSPID();
  if (!isOrgAdmin(identity))
    throw fail('NOT_ORG_ADMIN', `caller of ${callerMsp} is not an org admin (certificate OU must be admin)`);
  if (mspId !== undefined && callerMsp !== mspId)
    throw fail('NOT_ORG_ADMIN', `caller is an admin of ${callerMsp}, not of ${mspId}`);
  return callerMsp;
}
