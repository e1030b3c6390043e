// SPDX-License-Identifier: Apache-2.0
import fc from 'fast-check';
import {
  APP_VERSION,
  appVersionRefusal,
  compareVersions,
  openPolicy,
  parseAppVersionPolicy,
  policyFromArguments,
} from './app-version';

describe('SemVer 2.0.0 versions', () => {
  it('accepts the grammar of semver.org and refuses other spellings', () => {
    for (const good of [
      '0.0.0',
      '1.2.3',
      '10.20.30',
      '1.0.0-alpha',
      '1.0.0-alpha.1',
      '1.0.0-0.3.7',
      '1.0.0-x-y-z.--',
      '1.0.0+20130313144700',
      '1.0.0-beta+exp.sha.5114f85',
      '1.0.0-rc.1+build.1',
    ])
      expect(APP_VERSION.test(good)).toBe(true);
    for (const bad of [
      '1',
      '1.2',
      '1.2.3.4',
      'v1.2.3',
      '=1.2.3',
      '01.2.3',
      '1.02.3',
      '1.2.03',
      '1.2.3-',
      '1.2.3-01',
      '1.2.3-a..b',
      '1.2.3+',
      '1.2.3+a..b',
      ' 1.2.3',
      '1.2.3 ',
    ])
      expect(APP_VERSION.test(bad)).toBe(false);
  });

  it('orders by §11 precedence: the example chain of semver.org, build metadata ignored', () => {
    const chain = [
      '1.0.0-alpha',
      '1.0.0-alpha.1',
      '1.0.0-alpha.beta',
      '1.0.0-beta',
      '1.0.0-beta.2',
      '1.0.0-beta.11',
      '1.0.0-rc.1',
      '1.0.0',
      '1.9.0',
      '1.10.0',
      '1.11.0',
      '2.0.0',
      '2.1.0',
      '2.1.1',
      '10.0.0',
      '99999999999999999999.0.0',
    ];
    for (let i = 0; i < chain.length; i++)
      for (let j = 0; j < chain.length; j++)
        expect([chain[i], chain[j], compareVersions(chain[i]!, chain[j]!)]).toEqual([
          chain[i],
          chain[j],
          Math.sign(i - j),
        ]);
    expect(compareVersions('1.4.2+build.7', '1.4.2')).toBe(0);
    expect(compareVersions('1.4.2-rc.1+a', '1.4.2-rc.1+b')).toBe(0);
  });

  it('precedence is antisymmetric and agrees with numeric order of the cores (property)', () => {
    const n = fc.integer({ min: 0, max: 10_000 });
    fc.assert(
      fc.property(n, n, n, n, n, n, (a, b, c, x, y, z) => {
        const [u, v] = [`${a}.${b}.${c}`, `${x}.${y}.${z}`];
        const expected = Math.sign(a - x || b - y || c - z);
        return compareVersions(u, v) === expected && compareVersions(v, u) === -expected;
      }),
    );
  });
});

describe('app-version policies', () => {
  const policy = policyFromArguments('Org1MSP', '1.4.0', '1.5.1,2.0.0-rc.1', 1000);

  it('parses the admin arguments ("" = none) into the stored form', () => {
    expect(policy).toEqual({ org: 'Org1MSP', minVersion: '1.4.0', denied: ['1.5.1', '2.0.0-rc.1'], setAt: 1000 });
    expect(policyFromArguments('Org1MSP', '', '', 5)).toEqual({ org: 'Org1MSP', denied: [], setAt: 5 });
    expect(parseAppVersionPolicy(policy)).toEqual(policy);
  });

  it.each([
    ['v1.4.0', '', /minVersion/],
    ['1.4.0', '1.5.1,,1.6.0', /denied\[1\]/],
    ['1.4.0', '1.5.1,1.5.1+other', /denied\[1\] repeats .*denied\[0\]/],
    ['1.4.0', Array.from({ length: 65 }, (_, i) => `1.${i}.0`).join(','), /at most 64/],
  ])('refuses a malformed policy (%s, %s)', (min, denied, message) => {
    expect(() => policyFromArguments('Org1MSP', min, denied, 1)).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT', message: expect.stringMatching(message) }),
    );
  });

  it('allows a version at or above the minimum and not denied; says why otherwise', () => {
    expect(appVersionRefusal('1.4.0', policy)).toBeUndefined();
    expect(appVersionRefusal('1.5.0', policy)).toBeUndefined();
    expect(appVersionRefusal('2.0.0', policy)).toBeUndefined();
    expect(appVersionRefusal('1.3.9', policy)).toMatch(/below Org1MSP's minimum 1.4.0/);
    expect(appVersionRefusal('1.4.0-rc.9', policy)).toMatch(/below/);
    expect(appVersionRefusal('1.5.1', policy)).toMatch(/denied .*\(1.5.1\)/);
    expect(appVersionRefusal('1.5.1+rebuilt', policy)).toMatch(/denied/);
    expect(appVersionRefusal('2.0.0-rc.1', policy)).toMatch(/denied/);
    expect(appVersionRefusal(undefined, policy)).toMatch(/states no appVersion/);
  });

  it('an org without a policy (or with an empty one) allows everything, a request without a version too', () => {
    for (const open of [openPolicy('Org2MSP'), policyFromArguments('Org2MSP', '', '', 1)]) {
      expect(appVersionRefusal(undefined, open)).toBeUndefined();
      expect(appVersionRefusal('0.0.1', open)).toBeUndefined();
    }
    expect(appVersionRefusal(undefined, policyFromArguments('Org2MSP', '', '1.0.0', 1))).toMatch(/states no/);
  });
});
