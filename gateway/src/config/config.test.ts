import { DEFAULT_TIMEOUT_MS, IDLE_SOCKET_TIMEOUT_MS } from '@medshare/app';
import { KEEP_ALIVE_TIMEOUT_MS, serverOptions } from '../app';
import { DEFAULT_DEADLINES_MS, DEFAULT_LIMITS, parseConfig } from './config';

const fabric = (deadlinesMs: Record<string, number> = {}, limits: Record<string, number> = {}): unknown => ({
  org: 'Org1MSP',
  keysFile: 'keys.json',
  limits,
  ledger: {
    type: 'fabric',
    peerEndpoint: 'localhost:7051',
    peerHostAlias: 'peer0.org1.example.com',
    tlsCaFile: 'ca.pem',
    certFile: 'cert.pem',
    keyFile: 'key.pem',
    deadlinesMs,
  },
});

describe('gateway config: deadlines are layered inside the HTTP request timeout', () => {
  it('the defaults sum well under the request timeout', () => {
    const config = parseConfig(fabric(), '/etc/medshare');
    expect(config.limits.requestTimeoutMs).toBe(DEFAULT_LIMITS.requestTimeoutMs);
    if (config.ledger.type !== 'fabric') throw new Error('expected a fabric ledger');
    expect(config.ledger.deadlinesMs).toEqual(DEFAULT_DEADLINES_MS);
    const { endorse, submit, commitStatus, evaluate } = config.ledger.deadlinesMs;
    expect(endorse + submit + commitStatus).toBeLessThan(config.limits.requestTimeoutMs);
    expect(evaluate).toBeLessThan(config.limits.requestTimeoutMs);
  });

  it('refuses a submit budget that does not fit, naming the keys', () => {
    expect(() => parseConfig(fabric({ commitStatus: 60_000 }), '/')).toThrow(
      expect.objectContaining({
        code: 'INVALID_INPUT',
        message: expect.stringMatching(
          /config\.ledger\.deadlinesMs\.endorse \+ submit \+ commitStatus \(72000 ms\) must be less than config\.limits\.requestTimeoutMs \(30000 ms\)/,
        ),
      }),
    );
    expect(() => parseConfig(fabric({ endorse: 10_000, submit: 10_000, commitStatus: 10_000 }), '/')).toThrow(
      /must be less than config\.limits\.requestTimeoutMs/,
    );
  });

  it('refuses an evaluate deadline that does not fit, naming the keys', () => {
    expect(() => parseConfig(fabric({ evaluate: 40_000 }, { requestTimeoutMs: 40_000 }), '/')).toThrow(
      expect.objectContaining({
        code: 'INVALID_INPUT',
        message: expect.stringMatching(/config\.ledger\.deadlinesMs\.evaluate .* config\.limits\.requestTimeoutMs/),
      }),
    );
  });

  it('accepts longer deadlines with a longer request timeout', () => {
    const config = parseConfig(fabric({ commitStatus: 60_000 }, { requestTimeoutMs: 90_000 }), '/');
    expect(config.limits.requestTimeoutMs).toBe(90_000);
  });
});

describe('the deadline chain, SDK → HTTP server → Fabric', () => {
  it("the SDK waits longer than the server's request timeout, which is longer than a whole submit", () => {
    const d = DEFAULT_DEADLINES_MS;
    const server = serverOptions({ bodyLimit: 1024, trustedProxies: [], logLevel: 'silent' });
    expect(server.connectionTimeout).toBe(DEFAULT_LIMITS.requestTimeoutMs);
    expect(server.requestTimeout).toBe(DEFAULT_LIMITS.requestTimeoutMs);
    expect(d.endorse + d.submit + d.commitStatus).toBeLessThan(DEFAULT_LIMITS.requestTimeoutMs);
    expect(DEFAULT_LIMITS.requestTimeoutMs).toBeLessThan(DEFAULT_TIMEOUT_MS);
  });

  it("the SDK drops idle keep-alive sockets before the server's keepAliveTimeout closes them", () => {
    expect(serverOptions({ bodyLimit: 1024, trustedProxies: [], logLevel: 'silent' }).keepAliveTimeout).toBe(KEEP_ALIVE_TIMEOUT_MS);
    expect(IDLE_SOCKET_TIMEOUT_MS).toBeLessThan(KEEP_ALIVE_TIMEOUT_MS);
  });
});

describe('gateway config: limits on unauthenticated work', () => {
  it('defaults: 60 session opens per address a minute, 250 ms of SM2 a second before authentication', () => {
    const config = parseConfig(fabric(), '/etc/medshare');
    expect(config.limits).toMatchObject({ sessionOpensPerMinutePerAddress: 60, unauthenticatedCpuMsPerSecond: 250 });
  });

  it('takes values in range and refuses others, naming the key', () => {
    expect(parseConfig(fabric({}, { sessionOpensPerMinutePerAddress: 5, unauthenticatedCpuMsPerSecond: 100 }), '/').limits).toMatchObject({
      sessionOpensPerMinutePerAddress: 5,
      unauthenticatedCpuMsPerSecond: 100,
    });
    expect(() => parseConfig(fabric({}, { sessionOpensPerMinutePerAddress: 0 }), '/')).toThrow(/config\.limits\.sessionOpensPerMinutePerAddress/);
    expect(() => parseConfig(fabric({}, { unauthenticatedCpuMsPerSecond: 1001 }), '/')).toThrow(/config\.limits\.unauthenticatedCpuMsPerSecond/);
  });
});
