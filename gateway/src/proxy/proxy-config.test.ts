// SPDX-License-Identifier: Apache-2.0
import { parseProxiesConfig } from './proxy-config';

const BASE = '/etc/medshare/gateway';
const ID = 'ab'.repeat(32);
const ID2 = 'cd'.repeat(32);
const peer = { proxyId: ID, url: 'https://gw2.example.org:8443' };

describe('parseProxiesConfig', () => {
  it('reads hosted keys and peers, resolving relative paths against the config folder; absent means none', () => {
    expect(parseProxiesConfig(undefined, BASE)).toEqual({ hosted: [], peers: [] });
    expect(parseProxiesConfig({}, BASE)).toEqual({ hosted: [], peers: [] });
    const config = parseProxiesConfig(
      {
        hosted: [{ keyFile: 'proxies/p1.pem' }, { keyFile: '/keys/p2.pem' }],
        peers: [peer, { proxyId: ID2, url: 'https://10.0.0.7/', caFile: 'tls/org2-ca.pem' }],
      },
      BASE,
    );
    expect(config).toEqual({
      hosted: [{ keyFile: '/etc/medshare/gateway/proxies/p1.pem' }, { keyFile: '/keys/p2.pem' }],
      peers: [
        { proxyId: ID, url: 'https://gw2.example.org:8443', caFile: undefined },
        { proxyId: ID2, url: 'https://10.0.0.7', caFile: '/etc/medshare/gateway/tls/org2-ca.pem' },
      ],
    });
    expect(Object.isFrozen(config) && Object.isFrozen(config.hosted) && Object.isFrozen(config.peers[0])).toBe(true);
  });

  const refusals: ReadonlyArray<[string, unknown, RegExp]> = [
    ['a section that is not an object', [], /config\.proxies/],
    ['a section that is a string', 'hosted', /config\.proxies/],
    ['an unknown member of the section', { hosted: [], spare: [] }, /spare/],
    ['hosted that is not an array', { hosted: { keyFile: 'p.pem' } }, /config\.proxies\.hosted must be an array/],
    ['more than 16 hosted keys', { hosted: Array(17).fill({ keyFile: 'p.pem' }) }, /at most 16/],
    ['a hosted entry that is not an object', { hosted: ['p.pem'] }, /config\.proxies\.hosted\[0\]/],
    ['a hosted entry with an unknown member', { hosted: [{ keyFile: 'p.pem', pin: 1 }] }, /pin/],
    ['a hosted entry without keyFile', { hosted: [{}] }, /hosted\[0\]\.keyFile/],
    ['a keyFile that is not a string', { hosted: [{ keyFile: 7 }] }, /hosted\[0\]\.keyFile/],
    ['a keyFile longer than 1024 characters', { hosted: [{ keyFile: 'a'.repeat(1025) }] }, /hosted\[0\]\.keyFile/],
    ['peers that is not an array', { peers: peer }, /config\.proxies\.peers must be an array/],
    ['more than 16 peers', { peers: Array(17).fill(peer) }, /at most 16/],
    ['a peer entry that is not an object', { peers: [null] }, /config\.proxies\.peers\[0\]/],
    ['a peer with an unknown member', { peers: [{ ...peer, org: 'Org2MSP' }] }, /org/],
    ['a peer without proxyId', { peers: [{ url: peer.url }] }, /peers\[0\]\.proxyId/],
    ['a proxyId that is not 64 hex digits', { peers: [{ ...peer, proxyId: 'ab'.repeat(31) }] }, /proxyId/],
    ['a proxyId in upper case', { peers: [{ ...peer, proxyId: 'AB'.repeat(32) }] }, /proxyId/],
    ['a peer without url', { peers: [{ proxyId: ID }] }, /peers\[0\]\.url/],
    ['a url that is no URL', { peers: [{ ...peer, url: 'gw2.example.org' }] }, /must be an https URL/],
    ['a plain http url', { peers: [{ ...peer, url: 'http://gw2.example.org' }] }, /https origin/],
    ['a url with credentials', { peers: [{ ...peer, url: 'https://admin:pw@gw2.example.org' }] }, /https origin/],
    ['a url with a path', { peers: [{ ...peer, url: 'https://gw2.example.org/medshare' }] }, /https origin/],
    ['a url with a query', { peers: [{ ...peer, url: 'https://gw2.example.org/?x=1' }] }, /https origin/],
    ['a url with a fragment', { peers: [{ ...peer, url: 'https://gw2.example.org/#v1' }] }, /https origin/],
    ['a url longer than 256 characters', { peers: [{ ...peer, url: `https://${'a'.repeat(250)}.org` }] }, /url/],
    ['a caFile that is not a string', { peers: [{ ...peer, caFile: ['ca.pem'] }] }, /peers\[0\]\.caFile/],
    ['two peers naming the same proxy', { peers: [peer, { ...peer, url: 'https://gw3.example.org' }] }, /distinct/],
  ];

  it.each(refusals)('refuses %s (INVALID_INPUT, naming the field)', (_what, value, message) => {
    expect(() => parseProxiesConfig(value, BASE)).toThrow(
      expect.objectContaining({
        name: 'MedshareError',
        code: 'INVALID_INPUT',
        message: expect.stringMatching(message),
      }),
    );
  });
});
