// SPDX-License-Identifier: Apache-2.0
import { utf8 } from '@medshare/crypto/bytes';
import { generateKeyPair, type Sm2KeyPair } from '@medshare/crypto/sm2';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { MedshareClient, httpsTransport, loadAppConfig } from '@medshare/app';
import { encryptKeyFile, keyIdOf, type DeliveredEvent } from '@medshare/protocol';
import { ROOT, removeData, startGateway, type GatewayProcess } from './support/gateway-process';

const run = promisify(execFile);
const CLI = join(ROOT, 'app', 'bin', 'medshare.js');
const PASSPHRASE = 'events integration passphrase';

async function take(iterator: AsyncIterator<DeliveredEvent>, n: number): Promise<DeliveredEvent[]> {
  const out: DeliveredEvent[] = [];
  while (out.length < n) {
    const step = await iterator.next();
    if (step.done) break;
    out.push(step.value);
  }
  return out;
}

async function all(client: MedshareClient, user: Sm2KeyPair, after?: string): Promise<DeliveredEvent[]> {
  const out: DeliveredEvent[] = [];
  for await (const e of client.events(user, { follow: false, ...(after === undefined ? {} : { after }) })) out.push(e);
  return out;
}

describe('access notifications over a real gateway process (HTTPS, SDK and CLI)', () => {
  let gw: GatewayProcess;
  let dir: string;
  afterAll(async () => {
    await gw.stop();
    removeData(gw.dataDir);
    removeData(dir);
  });

  it('a patient follows their events, resumes after an id and across a restart, and never sees another patient’s', async () => {
    gw = await startGateway();
    dir = mkdtempSync(join(tmpdir(), 'medshare-events-it-'));
    const config = loadAppConfig(gw.appConfig);
    const client = new MedshareClient(config.client);
    const [alice, bob, doctor] = [generateKeyPair(), generateKeyPair(), generateKeyPair()];
    await client.register(alice, 'patient');
    await client.register(bob, 'patient');
    await client.register(doctor, 'doctor');
    const admin = httpsTransport({
      baseUrl: config.client.gatewayUrl,
      ...(config.client.ca ? { ca: config.client.ca } : {}),
      headers: { authorization: `Bearer ${readFileSync(config.adminTokenFile as string, 'utf8').trim()}` },
    });
    await admin.post(`/v1/admin/users/${keyIdOf(doctor.publicKey)}/approve`, {});
    admin.close();

    // alice follows from the start while things happen to her record and to bob's
    const following = client.events(alice)[Symbol.asyncIterator]();
    const first = following.next();
    const { recordId } = await client.upload(alice, { content: utf8('{"note":"asthma"}'), kind: 'clinical-note' });
    const { recordId: bobRecord } = await client.upload(bob, {
      content: utf8('{"note":"fracture"}'),
      kind: 'clinical-note',
    });
    await client.grant(alice, recordId, keyIdOf(doctor.publicKey));
    await client.view(doctor, recordId);
    await client.view(bob, bobRecord);
    await client.revoke(alice, recordId, keyIdOf(doctor.publicKey));
    const firstEvent = (await first).value as DeliveredEvent;
    const seen = [firstEvent, ...(await take(following, 4))];
    expect(seen.map((e) => e.action)).toEqual(['upload', 'view', 'grant', 'view', 'revoke']);
    expect(seen.every((e) => e.recordId === recordId && e.owner === keyIdOf(alice.publicKey))).toBe(true);
    expect((await all(client, bob)).map((e) => [e.action, e.recordId])).toEqual([
      ['upload', bobRecord],
      ['view', bobRecord],
    ]);
    expect(await all(client, alice, seen[2]?.id)).toEqual(seen.slice(3));

    // the CLI prints the same events, one JSON line each
    writeFileSync(join(dir, 'alice.json'), JSON.stringify(await encryptKeyFile(alice.privateKey, PASSPHRASE)), {
      mode: 0o600,
    });
    const env = { ...process.env, MEDSHARE_APP_CONFIG: gw.appConfig, MEDSHARE_PASSPHRASE: PASSPHRASE };
    const json = await run(process.execPath, [CLI, 'events', '--key', join(dir, 'alice.json'), '--json'], { env });
    expect(
      json.stdout
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as DeliveredEvent).id),
    ).toEqual(seen.map((e) => e.id));
    const text = await run(
      process.execPath,
      [CLI, 'events', '--key', join(dir, 'alice.json'), '--after', seen[3]?.id as string],
      { env },
    );
    expect(text.stdout.trim().split('\n')).toEqual([
      expect.stringMatching(new RegExp(`^${seen[4]?.id as string}  \\S+Z  revoke`)),
    ]);
    const usage = await run(process.execPath, [CLI, 'events', '--key', join(dir, 'alice.json'), '--after', 'latest'], {
      env,
    }).catch((e: { code: number }) => e);
    expect(usage).toMatchObject({ code: 2 });

    // refused over HTTPS with a stable code, changing nothing: no token, a made-up token, and a
    // subscription for alice signed with bob's key
    const ledgerBefore = readFileSync(join(gw.dataDir, 'ledger', 'ledger.log'));
    const eventsBefore = readFileSync(join(gw.dataDir, 'gateway', 'events', 'events.log'));
    const raw = httpsTransport({
      baseUrl: config.client.gatewayUrl,
      ...(config.client.ca ? { ca: config.client.ca } : {}),
    });
    await expect(raw.stream('/v1/events', {})).rejects.toMatchObject({ code: 'STREAM_TOKEN_INVALID' });
    await expect(raw.stream('/v1/events', { authorization: `Bearer ${'0'.repeat(64)}` })).rejects.toMatchObject({
      code: 'STREAM_TOKEN_INVALID',
    });
    raw.close();
    await expect(all(client, { publicKey: alice.publicKey, privateKey: bob.privateKey })).rejects.toMatchObject({
      code: 'SIG1_INVALID',
    });
    expect(readFileSync(join(gw.dataDir, 'ledger', 'ledger.log')).equals(ledgerBefore)).toBe(true);
    expect(readFileSync(join(gw.dataDir, 'gateway', 'events', 'events.log')).equals(eventsBefore)).toBe(true);

    // SIGTERM with the stream open: the gateway stops cleanly; the follower waits it out
    const pending = following.next();
    expect(await gw.stop('SIGTERM')).toBe(0);

    // restarted on the same data: the same follower resumes after its last event (no new
    // subscription by the caller), ids continue, nothing repeats
    gw = await startGateway({ dataDir: gw.dataDir, port: gw.port });
    const other = new MedshareClient(loadAppConfig(gw.appConfig).client);
    await other.view(doctor, recordId).catch(() => undefined); // refused (revoked): no event
    await other.view(alice, recordId);
    const after = (await pending).value as DeliveredEvent;
    expect(after).toMatchObject({ action: 'view', actorKeyId: keyIdOf(alice.publicKey), recordId });
    await following.return(undefined);
    const everything = await all(other, alice);
    expect(everything.map((e) => e.id)).toEqual([...seen, after].map((e) => e.id));
    expect(new Set(everything.map((e) => e.txId)).size).toBe(everything.length);
    client.close();
    other.close();
  }, 120_000);
});
