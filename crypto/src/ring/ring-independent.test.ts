// SPDX-License-Identifier: Apache-2.0
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/**
 * scripts/vectors/check-ring-independent.py re-implements docs/protocol.md §18 in Python's standard
 * library from the document alone (its own SWU map, Z by RFC 9380 §H.2, the challenge, the RFC 6979
 * nonces, signing and verification) and checks test/vectors/ring.json, signatures byte for byte
 * and refusals by the named check: a second implementation agreeing with ours.
 */
describe('the independent Python re-implementation of §18', () => {
  it('reproduces every vector and refuses every listed case by the named check', () => {
    const root = join(__dirname, '../../..');
    const output = execFileSync(
      'python3',
      [join(root, 'scripts/vectors/check-ring-independent.py'), join(root, 'test/vectors/ring.json')],
      { encoding: 'utf8', timeout: 120_000 },
    );
    expect(output).toMatch(/OK: 0 failure\(s\)/);
    expect(output).not.toMatch(/^FAIL/m);
    expect(output.match(/^PASS/gm)?.length).toBeGreaterThan(150);
  });
});
