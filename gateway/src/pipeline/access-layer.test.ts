// SPDX-License-Identifier: Apache-2.0
import { isSubmitted } from '@medshare/protocol';
import type { LedgerBackend } from '../ledger/backend';
import { GatewayFixture, ledgerWith, party } from '../testing/fixture';

describe('access layer: response signatures', () => {
  it('the gateway refuses a tampered sig4 from the ledger', async () => {
    const tampering = (inner: LedgerBackend): LedgerBackend =>
      ledgerWith(inner, {
        run: async (envelope) => {
          const raw = await inner.run(envelope);
          if (isSubmitted(envelope.request.op)) return raw;
          const out = JSON.parse(raw) as { sig4: string };
          return JSON.stringify({ ...out, sig4: out.sig4.replace(/^./, (c) => (c === '0' ? '1' : '0')) });
        },
      });
    const f = await GatewayFixture.create({ ledger: tampering });
    try {
      const client = f.client();
      const user = party();
      await client.register(user, 'patient');
      const before = f.snapshot();
      await expect(client.listRecords(user)).rejects.toMatchObject({ code: 'SIG4_INVALID' });
      expect(f.snapshot()).toBe(before);
    } finally {
      await f.close();
    }
  });
});
