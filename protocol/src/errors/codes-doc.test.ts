// SPDX-License-Identifier: Apache-2.0
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ERROR_CODES } from './codes';

describe('docs/protocol.md §11', () => {
  it('lists exactly the codes of codes.ts, each with its HTTP status', () => {
    const text = readFileSync(join(__dirname, '..', '..', '..', 'docs', 'protocol.md'), 'utf8');
    const section = text.slice(text.indexOf('## 11. Errors'), text.indexOf('## 12.'));
    const documented = Object.fromEntries(
      [...section.matchAll(/^\| `([A-Z0-9_]+)` \| (\d{3}) \|/gm)].map((m) => [m[1], Number(m[2])]),
    );
    expect(documented).toEqual(
      Object.fromEntries(Object.entries(ERROR_CODES).map(([code, { status }]) => [code, status])),
    );
  });
});
