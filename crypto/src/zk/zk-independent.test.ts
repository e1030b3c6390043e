// SPDX-License-Identifier: Apache-2.0
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/**
 * scripts/vectors/check-zk-independent.py re-implements the verifiers of docs/protocol.md §20 in
 * Python's standard library from the document alone (its own generators, transcript and
 * multi-scalar multiplication) and checks test/vectors/zk.json: every proof verifies, every
 * refusal is refused by the named check or fails, encryptions and decryptions agree.
 */
describe('the independent Python re-implementation of §20', () => {
  it('verifies every vector and refuses every listed case by the named check', () => {
    const root = join(__dirname, '../../..');
    const output = execFileSync(
      'python3',
      [join(root, 'scripts/vectors/check-zk-independent.py'), join(root, 'test/vectors/zk.json')],
      { encoding: 'utf8', timeout: 120_000 },
    );
    expect(output).toMatch(/OK: 0 failure\(s\)/);
    expect(output).not.toMatch(/^FAIL/m);
  });
});
