// SPDX-License-Identifier: Apache-2.0
import { execFileSync } from 'node:child_process';
import { isOrgAdmin } from './org-admin';

/** A certificate made by the openssl CLI, and the identity string fabric-shim derives from it. */
function identity(subject: string): { getMSPID: () => string; getID: () => string; getIDBytes: () => Uint8Array } {
  const pem = execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      '/dev/null',
      '-subj',
      subject,
      '-days',
      '1',
    ],
    { encoding: 'utf8' },
  );
  // fabric-shim's formatDN escapes only the first '/' of each value (value.replace('/', '\\/')).
  const shimId = `x509::${subject.replace('\\/', '\\/')}::/C=US/O=Org1MSP/CN=ca`;
  return { getMSPID: () => 'Org1MSP', getID: () => shimId, getIDBytes: () => new Uint8Array(Buffer.from(pem)) };
}

describe('org admin detection', () => {
  it('reads OU=admin from the certificate subject on Fabric', () => {
    expect(isOrgAdmin(identity('/C=US/O=Org1MSP/OU=admin/CN=Admin@org1.example.com'))).toBe(true);
    expect(isOrgAdmin(identity('/C=US/O=Org1MSP/OU=client/CN=User1@org1.example.com'))).toBe(false);
  });

  it('is not fooled by a CN that spells /OU=admin (which the shim’s getID string would show as an admin)', () => {
    const forged = identity('/C=US/O=Org1MSP/OU=client/CN=bob\\/OU=admin');
    expect(forged.getID()).toContain('/OU=admin');
    expect(isOrgAdmin(forged)).toBe(false);
  });

  it('refuses identities whose bytes are not a certificate', () => {
    expect(
      isOrgAdmin({
        getMSPID: () => 'Org1MSP',
        getID: () => 'x509::/OU=admin/CN=x::/CN=ca',
        getIDBytes: () => new Uint8Array([1, 2, 3]),
      }),
    ).toBe(false);
  });

  it('reads the simulator’s own identity strings (no certificate) by their OU segment', () => {
    const sim = (subject: string): { getMSPID: () => string; getID: () => string } => ({
      getMSPID: () => 'Org1MSP',
      getID: () => `x509::${subject}::/C=US/O=org1/CN=ca.org1`,
    });
    expect(isOrgAdmin(sim('/C=US/O=Org1MSP/OU=admin/CN=Admin@Org1MSP'))).toBe(true);
    expect(isOrgAdmin(sim('/C=US/O=Org1MSP/OU=client/CN=User1@Org1MSP'))).toBe(false);
  });
});
