// SPDX-License-Identifier: Apache-2.0
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureDevLayout } from './first-run';

describe('the development layout (npm start)', () => {
  it('is made once; an explicit MEDSHARE_PORT later moves the app config to it, no port leaves it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'medshare-first-run-'));
    try {
      const first = ensureDevLayout(dir, 9101);
      expect(first.created).toBe(true);
      const url = (): string =>
        (JSON.parse(readFileSync(first.appConfig, 'utf8')) as { gatewayUrl: string }).gatewayUrl;
      expect(url()).toBe('https://127.0.0.1:9101');
      const keys = readFileSync(join(dir, 'gateway', 'keys.json'), 'utf8');
      expect(ensureDevLayout(dir, 9102).created).toBe(false);
      expect(url()).toBe('https://127.0.0.1:9102');
      ensureDevLayout(dir);
      expect(url()).toBe('https://127.0.0.1:9102');
      expect(readFileSync(join(dir, 'gateway', 'keys.json'), 'utf8')).toBe(keys); // keys never re-made
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
