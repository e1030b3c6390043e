import { parseConfig } from './config';

const BASE = { org: 'Org1MSP', keysFile: 'keys.json', ledger: { type: 'embedded', dir: 'ledger', k4KeyFile: 'k4.pem' } };

describe('gateway config: events', () => {
  it('defaults the event log beside the config file, with bounded retention, streams and heartbeat', () => {
    const config = parseConfig(BASE, '/srv/medshare/gateway');
    expect(config.events).toEqual({ dir: '/srv/medshare/gateway/events', retain: 100_000, streamsPerApp: 100, heartbeatMs: 15_000 });
    expect(Object.isFrozen(config.events)).toBe(true);
  });

  it('takes explicit values and refuses unknown keys and out-of-range ones', () => {
    const config = parseConfig({ ...BASE, events: { dir: '/var/lib/events', retain: 10, streamsPerApp: 2, heartbeatMs: 5000 } }, '/srv');
    expect(config.events).toEqual({ dir: '/var/lib/events', retain: 10, streamsPerApp: 2, heartbeatMs: 5000 });
    expect(() => parseConfig({ ...BASE, events: { keep: 1 } }, '/srv')).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }) as Error);
    expect(() => parseConfig({ ...BASE, events: { retain: 0 } }, '/srv')).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }) as Error);
    // a heartbeat slower than the idle-socket timeout would let the server drop quiet streams
    expect(() => parseConfig({ ...BASE, events: { heartbeatMs: 30_000 } }, '/srv')).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }) as Error);
  });
});
