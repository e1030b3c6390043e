// SPDX-License-Identifier: Apache-2.0
import { utf8 } from '@medshare/crypto/bytes';
import { generateKeyPair } from '@medshare/crypto/sm2';
import { MedshareClient, loadAppConfig } from '@medshare/app';
import { removeData, startGateway } from './support/gateway-process';

describe('durability of the embedded ledger', () => {
  it('after kill -9 in the middle of a write load, every acknowledged write is there exactly once', async () => {
    const first = await startGateway();
    const { dataDir, port } = first;
    const patient = generateKeyPair();
    const acknowledged: string[] = [];
    let client = new MedshareClient(loadAppConfig(first.appConfig).client);
    await client.register(patient, 'patient');

    // Bounded load: 6 writers, at most 400 uploads, killed after the 60th acknowledgement.
    let sent = 0;
    let killed = false;
    const writer = async (): Promise<void> => {
      while (sent < 400 && !killed) {
        sent += 1;
        try {
          const { recordId } = await client.upload(patient, { content: utf8(`{"n":${sent}}`), kind: 'lab-result' });
          acknowledged.push(recordId);
          // another writer may have killed it while this one awaited
          // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition
          if (acknowledged.length === 60 && !killed) {
            killed = true;
            await first.stop('SIGKILL');
          }
        } catch {
          // in flight when the process died: not acknowledged, may or may not be on the ledger
        }
      }
    };
    await Promise.all(Array.from({ length: 6 }, writer));
    client.close();
    expect(killed).toBe(true);

    const second = await startGateway({ dataDir, port });
    client = new MedshareClient(loadAppConfig(second.appConfig).client);
    try {
      const seen: string[] = [];
      let bookmark = '';
      do {
        const page = await client.listRecords(patient, { pageSize: 100, bookmark });
        seen.push(...page.items.map((i) => i.recordId));
        bookmark = page.bookmark;
      } while (bookmark);
      expect(new Set(seen).size).toBe(seen.length);
      expect(seen.length).toBeLessThanOrEqual(sent);
      for (const id of acknowledged) expect(seen).toContain(id);
      // and the ledger still takes writes
      await client.upload(patient, { content: utf8('{"after":"restart"}'), kind: 'lab-result' });
    } finally {
      client.close();
      await second.stop();
      removeData(dataDir);
    }
  }, 180_000);
});
