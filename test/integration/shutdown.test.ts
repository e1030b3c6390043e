// SPDX-License-Identifier: Apache-2.0
import { utf8 } from '@medshare/crypto/bytes';
import { generateKeyPair } from '@medshare/crypto/sm2';
import { MedshareClient, loadAppConfig } from '@medshare/app';
import { removeData, startGateway } from './support/gateway-process';

describe('graceful shutdown', () => {
  it('SIGTERM lets in-flight requests finish, refuses new ones cleanly, and exits 0 with every answered write kept', async () => {
    const first = await startGateway();
    const { dataDir, port } = first;
    const client = new MedshareClient(loadAppConfig(first.appConfig).client);
    const patient = generateKeyPair();
    await client.register(patient, 'patient');

    const answered: string[] = [];
    const failures: string[] = [];
    let stopping: Promise<number | null> | undefined;
    await Promise.all(
      Array.from({ length: 12 }, async (_, i) => {
        try {
          const { recordId } = await client.upload(patient, { content: utf8(`{"i":${i}}`), kind: 'lab-result' });
          answered.push(recordId);
          stopping ??= first.stop('SIGTERM');
        } catch (error) {
          failures.push((error as { code?: string }).code ?? 'unknown');
        }
      }),
    );
    client.close();
    expect(await stopping).toBe(0);
    expect(answered.length).toBeGreaterThan(0);
    // whatever was not answered failed with a coded error, never a hang
    for (const code of failures) expect(['LEDGER_UNAVAILABLE', 'OUTCOME_UNKNOWN', 'INTERNAL']).toContain(code);

    const second = await startGateway({ dataDir, port });
    const again = new MedshareClient(loadAppConfig(second.appConfig).client);
    try {
      const ids = (await again.listRecords(patient, { pageSize: 100 })).items.map((r) => r.recordId);
      for (const id of answered) expect(ids).toContain(id);
    } finally {
      again.close();
      await second.stop();
      removeData(dataDir);
    }
  }, 120_000);
});
