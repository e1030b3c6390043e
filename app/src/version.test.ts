// SPDX-License-Identifier: Apache-2.0
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { APP_VERSION as PATTERN } from '@medshare/protocol';
import { APP_VERSION } from './version';

describe('the app version', () => {
  it("is app/package.json's, and a SemVer 2.0.0 version the protocol accepts", () => {
    const pkg = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version: string };
    expect(APP_VERSION).toBe(pkg.version);
    expect(APP_VERSION).toMatch(PATTERN);
  });
});
