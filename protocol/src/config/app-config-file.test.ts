// SPDX-License-Identifier: Apache-2.0
import { parseAppConfigFile, type AppConfigFile } from './app-config-file';

const valid: AppConfigFile = {
  gatewayUrl: 'https://127.0.0.1:8443',
  appId: 'hospital-1.app',
  appKeyFile: 'k2.pem',
  caFile: '../gateway/tls/cert.pem',
  trustedAccessKeys: [`04${'ab'.repeat(64)}`],
  adminTokenFile: '../gateway/admin-token',
};

describe('the app config file (written by the dev first run, read by the app)', () => {
  it('parses what the writer writes, field for field', () => {
    expect(parseAppConfigFile(JSON.parse(JSON.stringify(valid)))).toEqual(valid);
  });

  it.each([
    ['an unknown field', { ...valid, extra: 1 }],
    ['a plain-http gateway', { ...valid, gatewayUrl: 'http://127.0.0.1:8443' }],
    ['a malformed trusted key', { ...valid, trustedAccessKeys: ['04ab'] }],
    ['no key file', { ...valid, appKeyFile: undefined }],
  ])('refuses %s with INVALID_INPUT', (_what, value) => {
    expect(() => parseAppConfigFile(value)).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }) as Error);
  });
});
