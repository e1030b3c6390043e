// SPDX-License-Identifier: Apache-2.0
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ERROR_CODES } from '../errors/codes';
import { openPolicy, policyFromArguments } from './app-version';
import { ENVIRONMENT_CHECKS, checkEnvironment, environmentError, namedReceiver, type EnvironmentFacts } from './checks';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
const patient = { role: 'patient', status: 'active' } as const;
const doctor = { role: 'doctor', status: 'active' } as const;
const pending = { role: 'institution', status: 'pending' } as const;

const ok: EnvironmentFacts = {
  author: { keyId: A, entry: patient },
  appVersion: '1.4.0',
  policy: policyFromArguments('Org1MSP', '1.2.0', '1.3.0', 1),
  holder: { keyId: A, entry: patient },
  receiver: { keyId: B, entry: doctor },
};

describe('the environment checks', () => {
  it('passes when every fact is in order', () => {
    expect(() => checkEnvironment(ok)).not.toThrow();
    expect(() => checkEnvironment({ appVersion: undefined, policy: openPolicy('Org1MSP') })).not.toThrow();
  });

  it.each([
    ['keys-valid', 'NOT_REGISTERED', { author: { keyId: A, entry: undefined } }],
    ['app-version', 'APP_VERSION_REFUSED', { appVersion: '1.3.0' }],
    ['app-version', 'APP_VERSION_REFUSED', { appVersion: undefined }],
    ['holder', 'NOT_REGISTERED', { holder: { keyId: A, entry: undefined } }],
    ['holder', 'NOT_APPROVED', { holder: { keyId: A, entry: pending } }],
    ['receiver', 'NOT_REGISTERED_DOCTOR', { receiver: { keyId: B, entry: undefined } }],
    ['receiver', 'NOT_REGISTERED_DOCTOR', { receiver: { keyId: B, entry: patient } }],
    ['receiver', 'NOT_REGISTERED_DOCTOR', { receiver: { keyId: B, entry: pending } }],
  ] as const)('%s fails on its own with %s, and the message names it', (check, code, change) => {
    expect(() => checkEnvironment({ ...ok, ...change })).toThrow(
      expect.objectContaining({ code, message: expect.stringMatching(new RegExp(`^${code}: check ${check}: `)) }),
    );
  });

  it('runs in the list order: the earliest failing check is the one reported', () => {
    const everything: EnvironmentFacts = {
      author: { keyId: A, entry: undefined },
      appVersion: '1.0.0',
      policy: ok.policy,
      holder: { keyId: A, entry: pending },
      receiver: { keyId: B, entry: patient },
    };
    const order: string[] = [];
    let facts: EnvironmentFacts = everything;
    for (const fix of [
      { author: ok.author },
      { appVersion: ok.appVersion },
      { holder: ok.holder },
      { receiver: ok.receiver },
    ]) {
      try {
        checkEnvironment(facts);
      } catch (error) {
        order.push((error as { context: { check: string } }).context.check);
      }
      facts = { ...facts, ...fix };
    }
    expect(order).toEqual(['keys-valid', 'app-version', 'holder', 'receiver']);
    expect(() => checkEnvironment(facts)).not.toThrow();
  });

  it('every check names codes of the one list, and environmentError stamps the check', () => {
    for (const { codes } of ENVIRONMENT_CHECKS) for (const code of codes) expect(ERROR_CODES).toHaveProperty(code);
    expect(environmentError('clock-skew', 'CLOCK_SKEW', 'x')).toMatchObject({
      name: 'MedshareError',
      code: 'CLOCK_SKEW',
      message: 'CLOCK_SKEW: check clock-skew: x',
      context: { check: 'clock-skew' },
    });
  });

  it('a share names its receiver in the body; a download names none', () => {
    expect(namedReceiver({ op: 'grant', body: { granteeKeyId: B } })).toBe(B);
    expect(namedReceiver({ op: 'file-share', body: { receiverKeyId: B } })).toBe(B);
    expect(namedReceiver({ op: 'view', body: { recordId: B } })).toBeUndefined();
  });

  it('docs/protocol.md §7.6 lists the checks in this order, with these codes', () => {
    const text = readFileSync(join(__dirname, '..', '..', '..', 'docs', 'protocol.md'), 'utf8');
    const section = text.slice(text.indexOf('### 7.6'), text.indexOf('### 7.7'));
    const rows = [...section.matchAll(/^\| \d+ \| `([a-z-]+)` \| [^|]+ \| [^|]+ \| ([^|]+) \|$/gm)].map((m) => ({
      name: m[1],
      codes: [...(m[2] ?? '').matchAll(/`([A-Z_]+)`/g)].map((c) => c[1]).sort(),
    }));
    expect(rows).toEqual(ENVIRONMENT_CHECKS.map(({ name, codes }) => ({ name, codes: [...codes].sort() })));
  });
});
