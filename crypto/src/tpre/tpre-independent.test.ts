// SPDX-License-Identifier: Apache-2.0
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/**
 * scripts/vectors/check-tpre-independent.py re-implements docs/protocol.md §15-16 in Python's
 * standard library from the document alone (its own curve arithmetic, SM3 from hashlib, SM4 from
 * the openssl CLI) and checks test/vectors/tpre.json, refusals included: a second implementation
 * agreeing with ours byte for byte.
 */
describe('the independent Python re-implementation of §15-16', () => {
  it('reproduces every vector and refuses every listed case by the named check', () => {
    const root = join(__dirname, '../../..');
    const output = execFileSync(
      'python3',
      [join(root, 'scripts/vectors/check-tpre-independent.py'), join(root, 'test/vectors/tpre.json')],
      {
        encoding: 'utf8',
        timeout: 120_000,
      },
    );
    expect(output).toMatch(/OK: 0 failure\(s\)/);
    expect(output).not.toMatch(/^FAIL/m);
  });
});
