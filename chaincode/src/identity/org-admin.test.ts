import { isOrgAdmin } from './org-admin';

describe('org admin detection from the shim identity string', () => {
  it('reads OU=admin in the subject only', () => {
    const id = (subject: string, issuer = '/C=US/O=org1/CN=ca.org1'): { getMSPID: () => string; getID: () => string } => ({
      getMSPID: () => 'Org1MSP',
      getID: () => `x509::${subject}::${issuer}`,
    });
    expect(isOrgAdmin(id('/C=US/ST=NC/OU=admin/CN=Admin@org1.example.com'))).toBe(true);
    expect(isOrgAdmin(id('/C=US/ST=NC/OU=client/CN=User1@org1.example.com'))).toBe(false);
    expect(isOrgAdmin(id('/C=US/OU=client/CN=OU=admin'))).toBe(false);
    expect(isOrgAdmin(id('/C=US/OU=client/CN=x', '/OU=admin/CN=ca'))).toBe(false);
  });
});
