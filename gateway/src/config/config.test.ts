// SPDX-License-Identifier: Apache-2.0
import { DEFAULT_TIMEOUT_MS, IDLE_SOCKET_TIMEOUT_MS } from '@medshare/app';
import { KEEP_ALIVE_TIMEOUT_MS, serverOptions } from '../server-options';
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
    // Node's server-wide request timeout is off: plugins/request-timeouts.ts applies it per route,
    // so the file transfers are bounded by progress instead.
    expect(server.requestTimeout).toBe(0);
    expect(d.endorse + d.submit + d.commitStatus).toBeLessThan(DEFAULT_LIMITS.requestTimeoutMs);
    expect(DEFAULT_LIMITS.requestTimeoutMs).toBeLessThan(DEFAULT_TIMEOUT_MS);
  });

  it("the SDK drops idle keep-alive sockets before the server's keepAliveTimeout closes them", () => {
    expect(serverOptions({ bodyLimit: 1024, trustedProxies: [], logLevel: 'silent' }).keepAliveTimeout).toBe(
      KEEP_ALIVE_TIMEOUT_MS,
    );
    expect(IDLE_SOCKET_TIMEOUT_MS).toBeLessThan(KEEP_ALIVE_TIMEOUT_MS);
  });
});

const BASE = {
  org: 'Org1MSP',
  keysFile: 'keys.json',
  ledger: { type: 'embedded', dir: 'ledger', k4KeyFile: 'k4.pem' },
};

describe('gateway config: events', () => {
  it('defaults the event log beside the config file, with bounded retention, streams and heartbeat', () => {
    const config = parseConfig(BASE, '/srv/medshare/gateway');
    expect(config.events).toEqual({
      dir: '/srv/medshare/gateway/events',
      retain: 100_000,
      streamsPerApp: 100,
      heartbeatMs: 15_000,
    });
    expect(Object.isFrozen(config.events)).toBe(true);
  });

  it('takes explicit values and refuses unknown keys and out-of-range ones', () => {
    const config = parseConfig(
      { ...BASE, events: { dir: '/var/lib/events', retain: 10, streamsPerApp: 2, heartbeatMs: 5000 } },
      '/srv',
    );
    expect(config.events).toEqual({ dir: '/var/lib/events', retain: 10, streamsPerApp: 2, heartbeatMs: 5000 });
    expect(() => parseConfig({ ...BASE, events: { keep: 1 } }, '/srv')).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT' }) as Error,
    );
    expect(() => parseConfig({ ...BASE, events: { retain: 0 } }, '/srv')).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT' }) as Error,
    );
    // a heartbeat slower than the idle-socket timeout would let the server drop quiet streams
    expect(() => parseConfig({ ...BASE, events: { heartbeatMs: 30_000 } }, '/srv')).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT' }) as Error,
    );
  });
});

describe('gateway config: the peers of the org', () => {
  const base = (ledger: Record<string, unknown>): unknown => ({
    org: 'Org1MSP',
    keysFile: 'keys.json',
    ledger: { type: 'fabric', certFile: 'cert.pem', keyFile: 'key.pem', ...ledger },
  });
  const peers = (value: unknown): readonly unknown[] => {
    const ledger = parseConfig(value, '/etc/medshare').ledger;
    if (ledger.type !== 'fabric') throw new Error('expected a fabric ledger');
    return ledger.peers;
  };

  it('takes the single peerEndpoint as the one peer, and as the first before `peers`', () => {
    expect(peers(fabric())).toEqual([
      { endpoint: 'localhost:7051', hostAlias: 'peer0.org1.example.com', tlsCaFile: '/etc/medshare/ca.pem' },
    ]);
    const both = base({
      peerEndpoint: 'localhost:7051',
      peerHostAlias: 'peer0.org1.example.com',
      tlsCaFile: 'ca.pem',
      peers: [{ endpoint: 'localhost:8051', hostAlias: 'peer1.org1.example.com' }],
    });
    expect(peers(both)).toEqual([
      { endpoint: 'localhost:7051', hostAlias: 'peer0.org1.example.com', tlsCaFile: '/etc/medshare/ca.pem' },
      { endpoint: 'localhost:8051', hostAlias: 'peer1.org1.example.com', tlsCaFile: '/etc/medshare/ca.pem' },
    ]);
  });

  it('takes an ordered list of peers, each with its own TLS CA, and a preferred-peer retry interval', () => {
    const config = parseConfig(
      base({
        peers: [
          { endpoint: 'localhost:7051', hostAlias: 'peer0.org1.example.com', tlsCaFile: 'p0.pem' },
          { endpoint: 'localhost:8051', hostAlias: 'peer1.org1.example.com', tlsCaFile: '/abs/p1.pem' },
        ],
        preferredPeerRetryMs: 5000,
      }),
      '/etc/medshare',
    );
    if (config.ledger.type !== 'fabric') throw new Error('expected a fabric ledger');
    expect(config.ledger.peers.map((p) => [p.endpoint, p.tlsCaFile])).toEqual([
      ['localhost:7051', '/etc/medshare/p0.pem'],
      ['localhost:8051', '/abs/p1.pem'],
    ]);
    expect(config.ledger.preferredPeerRetryMs).toBe(5000);
    expect(Object.isFrozen(config.ledger.peers)).toBe(true);
  });

  it.each([
    ['no peer at all', {}, /config\.ledger\.peers must name at least one peer/],
    ['peers not an array', { peers: 'localhost:7051' }, /config\.ledger\.peers must be an array/],
    [
      'a bad endpoint',
      { peers: [{ endpoint: 'localhost', hostAlias: 'p', tlsCaFile: 'c' }] },
      /config\.ledger\.peers\[0\]\.endpoint has the wrong format/,
    ],
    [
      'a missing TLS CA',
      { peers: [{ endpoint: 'localhost:1', hostAlias: 'p' }] },
      /config\.ledger\.peers\[0\]\.tlsCaFile must be a string/,
    ],
    [
      'an unknown field',
      { peers: [{ endpoint: 'localhost:1', hostAlias: 'p', tlsCaFile: 'c', mspId: 'x' }] },
      /config\.ledger\.peers\[0\]\.mspId is not an allowed field/,
    ],
    [
      'a peer twice',
      {
        peerEndpoint: 'localhost:1',
        peerHostAlias: 'p',
        tlsCaFile: 'c',
        peers: [{ endpoint: 'localhost:1', hostAlias: 'q' }],
      },
      /config\.ledger\.peers\[0\]\.endpoint repeats config\.ledger\.peerEndpoint/,
    ],
    [
      'a preferred-peer retry below a second',
      { peers: [{ endpoint: 'localhost:1', hostAlias: 'p', tlsCaFile: 'c' }], preferredPeerRetryMs: 10 },
      /config\.ledger\.preferredPeerRetryMs must be in/,
    ],
  ])('refuses %s, naming the key', (_, ledger, message) => {
    expect(() => parseConfig(base(ledger), '/')).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT', message: expect.stringMatching(message) }),
    );
  });
});

describe('gateway config: limits on unauthenticated work', () => {
  it('defaults: 60 session opens per address a minute, 250 ms of SM2 a second before authentication', () => {
    const config = parseConfig(fabric(), '/etc/medshare');
    expect(config.limits).toMatchObject({ sessionOpensPerMinutePerAddress: 60, unauthenticatedCpuMsPerSecond: 250 });
  });

  it('takes values in range and refuses others, naming the key', () => {
    expect(
      parseConfig(fabric({}, { sessionOpensPerMinutePerAddress: 5, unauthenticatedCpuMsPerSecond: 100 }), '/').limits,
    ).toMatchObject({
      sessionOpensPerMinutePerAddress: 5,
      unauthenticatedCpuMsPerSecond: 100,
    });
    expect(() => parseConfig(fabric({}, { sessionOpensPerMinutePerAddress: 0 }), '/')).toThrow(
      /config\.limits\.sessionOpensPerMinutePerAddress/,
    );
    expect(() => parseConfig(fabric({}, { unauthenticatedCpuMsPerSecond: 1001 }), '/')).toThrow(
      /config\.limits\.unauthenticatedCpuMsPerSecond/,
    );
  });
});
