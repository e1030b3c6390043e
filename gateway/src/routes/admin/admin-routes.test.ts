// SPDX-License-Identifier: Apache-2.0
import { GatewayFixture, party } from '../../testing/fixture';

describe('admin API', () => {
  let f: GatewayFixture;
  beforeAll(async () => {
    f = await GatewayFixture.create();
  });
  afterAll(() => f.close());

  it('the admin API needs the token, and a refused approval leaves the doctor pending', async () => {
    const doctor = party();
    await f.client().register(doctor, 'doctor');
    const before = f.snapshot();
    for (const authorization of ['Bearer nope', '']) {
      const res = await f.app.inject({
        method: 'POST',
        url: `/v1/admin/users/${doctor.keyId}/approve`,
        headers: authorization ? { authorization } : {},
      });
      expect(res.statusCode).toBe(403);
      expect(res.json()).toMatchObject({ code: 'NOT_ORG_ADMIN' });
    }
    expect(f.snapshot()).toBe(before);
    expect((await f.client().directory(doctor.keyId)).status).toBe('pending');
  });

  it('the admin API checks the token before the body: an unauthenticated invalid body is 403, not a schema error', async () => {
    const before = f.snapshot();
    const res = await f.app.inject({ method: 'POST', url: '/v1/admin/access-keys', payload: { nonsense: true } });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toEqual({ code: 'NOT_ORG_ADMIN', message: 'admin API needs the admin bearer token' });
    const authorized = await f.app.inject({
      method: 'POST',
      url: '/v1/admin/access-keys',
      payload: { nonsense: true },
      headers: { authorization: `Bearer ${f.adminToken}` },
    });
    expect(authorized.statusCode).toBe(400);
    expect(authorized.json()).toMatchObject({ code: 'INVALID_INPUT' });
    expect(f.snapshot()).toBe(before);
  });
});
