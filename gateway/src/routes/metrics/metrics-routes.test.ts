// SPDX-License-Identifier: Apache-2.0
import { utf8 } from '@medshare/crypto/bytes';
import { GatewayFixture, party } from '../../testing/fixture';

describe('operations endpoints', () => {
  let f: GatewayFixture;
  beforeAll(async () => {
    f = await GatewayFixture.create();
    // one upload and one refused view, for the request metrics to count
    const client = f.client();
    const patient = party();
    await client.register(patient, 'patient');
    const { recordId } = await client.upload(patient, { content: utf8('{"note":"metrics"}'), kind: 'clinical-note' });
    // An unregistered key: refused by the access layer's environment check (keys-valid), before the ledger.
    await expect(client.view(party(), recordId)).rejects.toMatchObject({ code: 'NOT_REGISTERED' });
  });
  afterAll(() => f.close());

  it('serves health, readiness, metrics and an OpenAPI document built from the route schemas', async () => {
    expect((await f.app.inject('/healthz')).json()).toEqual({ status: 'ok' });
    expect((await f.app.inject('/readyz')).json()).toEqual({ status: 'ready', ledger: 'embedded' });
    const metrics = (await f.app.inject('/metrics')).body;
    expect(metrics).toMatch(/medshare_requests_total\{route="\/v1\/requests",op="upload",outcome="ok",code=""\} 1/);
    expect(metrics).toMatch(
      /medshare_requests_total\{route="\/v1\/requests",op="",outcome="rejected",code="NOT_REGISTERED"\} 1/,
    );
    expect(metrics).toContain('medshare_request_duration_seconds_bucket');
    const spec = (await f.app.inject('/openapi.json')).json<{ openapi: string; paths: Record<string, unknown> }>();
    expect(spec.openapi).toBe('3.0.3');
    expect(Object.keys(spec.paths)).toEqual(
      expect.arrayContaining(['/v1/sessions', '/v1/requests', '/v1/users/{keyId}', '/v1/keys']),
    );
  });
});
