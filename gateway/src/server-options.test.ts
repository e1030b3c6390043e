// SPDX-License-Identifier: Apache-2.0
import { utf8 } from '@medshare/crypto/bytes';
import { type Sm2KeyPair } from '@medshare/crypto/sm2';
import { PassThrough } from 'node:stream';
import { GatewayFixture, party } from './testing/fixture';
import { rawSession } from './testing/raw-session';
import { sealedInject } from './testing/sealed-requests';

const RECORD = utf8('{"diagnosis":"J45.909","note":"mild persistent asthma"}');

describe('logs', () => {
  it('never contain private keys, session keys, ciphertexts or record plaintext', async () => {
    const stream = new PassThrough();
    const lines: string[] = [];
    stream.on('data', (chunk: Buffer) => lines.push(chunk.toString()));
    const f = await GatewayFixture.create({ logStream: stream });
    try {
      const client = f.client();
      const patient = party();
      await client.register(patient, 'patient');
      const { recordId } = await client.upload(patient, { content: RECORD, kind: 'clinical-note' });
      await client.view(patient, recordId);
      // An unregistered key: refused by the access layer's environment check (keys-valid), before the ledger.
      await expect(client.view(party(), recordId)).rejects.toMatchObject({ code: 'NOT_REGISTERED' });
      f.app.log.info({ privateKey: patient.privateKey, nested: { key: 'secret-session-key' } }, 'redaction check');
      const text = lines.join('');
      expect(text).toContain('redaction check');
      expect(text).toContain('[redacted]');
      for (const secret of [
        patient.privateKey,
        (f.keys.k3[0] as Sm2KeyPair).privateKey,
        'secret-session-key',
        'asthma',
        'J45',
      ])
        expect(text).not.toContain(secret);
      expect(text).not.toMatch(/"ciphertext":"[A-Za-z0-9+/]{20}/);
    } finally {
      await f.close();
    }
  });
});

describe('route schemas', () => {
  it("test a sealed body's ciphertext against the base64 pattern as the RegExp would (the engine skips only its cost)", async () => {
    const f = await GatewayFixture.create();
    try {
      const { sessionId } = await rawSession(f);
      const pattern = /^[A-Za-z0-9+/]*={0,2}$/;
      for (const ciphertext of ['QUJD', 'QQ==', 'QUJD=', 'QQ=A', 'a-b_', 'QUJD\n', '=QUJD', 'QU JD', 'QUJDé']) {
        const res = await f.app.inject(sealedInject({ sessionId, ciphertext }));
        const { code, message } = res.json<{ code: string; message: string }>();
        // Past the schema, each fails to open as a sealed box; before it, the pattern's refusal.
        if (pattern.test(ciphertext)) expect(message).not.toContain('must match pattern');
        else
          expect([code, message]).toEqual(['INVALID_INPUT', expect.stringContaining('must match pattern') as string]);
      }
    } finally {
      await f.close();
    }
  });
});
