// SPDX-License-Identifier: Apache-2.0
import { GatewayFixture } from '../testing/fixture';
import { sessionBody } from '../testing/raw-session';
import { refused } from '../testing/sealed-requests';

describe('source address behind a reverse proxy', () => {
  it('believes X-Forwarded-For only from a listed proxy', async () => {
    const f = await GatewayFixture.create({ allow: ['127.0.0.9/32'], trustedProxies: ['127.0.0.1'] });
    try {
      const body = sessionBody(f);
      const viaProxy = await f.app.inject({
        method: 'POST',
        url: '/v1/sessions',
        remoteAddress: '127.0.0.1',
        headers: { 'x-forwarded-for': '127.0.0.9' },
        payload: body,
      });
      expect(viaProxy.statusCode).toBe(200);
      // a client that is not a listed proxy cannot claim an allowed address
      await refused(f, {}, 403, 'SOURCE_NOT_ALLOWED', {
        url: '/v1/sessions',
        remoteAddress: '127.0.0.5',
        headers: { 'x-forwarded-for': '127.0.0.9' },
        raw: JSON.stringify(sessionBody(f)),
      });
    } finally {
      await f.close();
    }
  });
});
