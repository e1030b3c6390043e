// SPDX-License-Identifier: Apache-2.0
import { generateKeyPair, privateKeyToPem } from '@medshare/crypto/sm2';
import { fail } from '@medshare/protocol';
import { ProxyKey } from './proxy';
import { checkHostedProxies, hostedProxyStatuses, parseLedgerProxies, type LedgerProxy } from './proxy-status';

const newKey = (): ProxyKey => ProxyKey.fromPem(privateKeyToPem(generateKeyPair().privateKey));
const entry = (key: ProxyKey, org: string, retiredAt?: number): LedgerProxy => ({
  proxyId: key.proxyId,
  publicKey: key.publicKey,
  org,
  registeredAt: 1000,
  ...(retiredAt === undefined ? {} : { retiredAt }),
});

function recorder(): { log: { info: jest.Mock; warn: jest.Mock }; lines: () => [string, string, object][] } {
  const log = { info: jest.fn(), warn: jest.fn() };
  return {
    log,
    lines: () => [
      ...log.info.mock.calls.map(([o, m]: [object, string]) => ['info', m, o] as [string, string, object]),
      ...log.warn.mock.calls.map(([o, m]: [object, string]) => ['warn', m, o] as [string, string, object]),
    ],
  };
}

describe('hosted proxies against the ledger', () => {
  const [mine, retired, theirs, missing] = [newKey(), newKey(), newKey(), newKey()];
  const ledger = [entry(mine, 'Org1MSP'), entry(retired, 'Org1MSP', 2000), entry(theirs, 'Org2MSP')];

  it('names each hosted proxy active, retired, registered by another org or unregistered', () => {
    expect(hostedProxyStatuses([mine, retired, theirs, missing], ledger, 'Org1MSP')).toEqual(
      new Map([
        [mine.proxyId, 'active'],
        [retired.proxyId, 'retired'],
        [theirs.proxyId, 'other-org'],
        [missing.proxyId, 'unregistered'],
      ]),
    );
  });

  it("parses ListProxies' answer and refuses a malformed one", () => {
    expect(parseLedgerProxies(JSON.stringify(ledger))).toEqual(ledger);
    expect(() => parseLedgerProxies('{}')).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
    expect(() => parseLedgerProxies(JSON.stringify([{ ...ledger[0], proxyId: 'x' }]))).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT', message: expect.stringContaining('ListProxies[0].proxyId') }),
    );
  });

  it('on Fabric (no org admin) reports, registers nothing, and warns with the public key an admin registers', async () => {
    const { log, lines } = recorder();
    const statuses = await checkHostedProxies({
      hosted: [mine, missing],
      ledger: { listProxies: () => Promise.resolve(JSON.stringify(ledger)) },
      org: 'Org1MSP',
      log,
    });
    expect(statuses).toEqual(
      new Map([
        [mine.proxyId, 'active'],
        [missing.proxyId, 'unregistered'],
      ]),
    );
    expect(lines()).toEqual([
      ['info', expect.stringContaining('registered'), expect.objectContaining({ proxyId: mine.proxyId })],
      [
        'warn',
        expect.stringContaining('scripts/admin/register-proxy.sh'),
        { proxyId: missing.proxyId, publicKey: missing.publicKey, org: 'Org1MSP', status: 'unregistered' },
      ],
    ]);
  });

  it('as its own org admin (embedded) registers the missing ones, then reads the ledger again', async () => {
    const onLedger = [...ledger];
    const register = jest.fn((key: ProxyKey) => {
      onLedger.push(entry(key, 'Org1MSP'));
      return Promise.resolve('{}');
    });
    const { log } = recorder();
    const statuses = await checkHostedProxies({
      hosted: [mine, missing],
      ledger: { listProxies: () => Promise.resolve(JSON.stringify(onLedger)) },
      org: 'Org1MSP',
      log,
      register,
    });
    expect(register.mock.calls.map(([k]) => k.proxyId)).toEqual([missing.proxyId]);
    expect(statuses?.get(missing.proxyId)).toBe('active');
    expect(log.warn).not.toHaveBeenCalled();
  });

  it('a ledger that cannot answer now is logged, never thrown: the gateway starts', async () => {
    const { log } = recorder();
    const register = jest.fn();
    await expect(
      checkHostedProxies({
        hosted: [mine],
        ledger: { listProxies: () => Promise.reject(fail('LEDGER_UNAVAILABLE', 'no peer')) },
        org: 'Org1MSP',
        log,
        register,
      }),
    ).resolves.toBeUndefined();
    expect(register).not.toHaveBeenCalled();
    expect(log.warn).toHaveBeenCalledWith(
      { err: expect.objectContaining({ code: 'LEDGER_UNAVAILABLE' }) },
      expect.stringContaining('cannot compare'),
    );
  });
});
