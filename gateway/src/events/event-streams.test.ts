// SPDX-License-Identifier: Apache-2.0
import { fromBase64 } from '@medshare/crypto/bytes';
import { open, randomKey } from '@medshare/crypto/sealed-box';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, get, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canonicalize, eventAad, parseDeliveredEvent } from '@medshare/protocol';
import { parseSse } from '@medshare/app';
import { EventLog } from './event-log';
import { EventStreams } from './event-streams';

const ALICE = 'a'.repeat(64);
const BOB = 'b'.repeat(64);

describe('EventStreams', () => {
  let dir: string;
  let server: Server | undefined;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'medshare-streams-'));
  });
  afterEach(async () => {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('delivers a backlog far larger than its buffer bound whole and in order (backpressure, not a drop)', async () => {
    // 3000 of alice's events among 1000 of bob's: about 2 MiB of event stream for alice
    const lines: string[] = [];
    for (let block = 1; block <= 4000; block++) {
      const txId = block.toString(16).padStart(64, '0');
      const owner = block % 4 === 0 ? BOB : ALICE;
      const event = {
        v: 1,
        action: 'view',
        recordId: 'c'.repeat(64),
        owner,
        actorKeyId: owner,
        org: 'Org1MSP',
        txId,
        at: block,
      };
      lines.push(canonicalize({ v: 1, id: `${block}-0`, txId, event }));
    }
    writeFileSync(join(dir, 'events.log'), `${lines.join('\n')}\n`);
    const log = await EventLog.open(dir, { retain: 10_000 });
    const streams = new EventStreams(log, { streamsPerApp: 1, heartbeatMs: 1000 });
    const session = {
      sessionId: '0'.repeat(32),
      appId: 'hospital-1.app',
      key: randomKey(),
      expiresAt: Date.now() + 60_000,
    };
    server = createServer((_req, res) =>
      streams.open({ session, keyId: ALICE, after: { block: 2, index: 0 }, follow: false, response: res }),
    );
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    const res = await new Promise<import('node:http').IncomingMessage>((resolve) =>
      get({ host: '127.0.0.1', port, path: '/' }, resolve),
    );
    res.setEncoding('utf8');
    const ids: string[] = [];
    for await (const message of parseSse(res as AsyncIterable<string>)) {
      const event = parseDeliveredEvent(
        JSON.parse(
          Buffer.from(
            open(session.key, fromBase64(message.data), eventAad(session.sessionId, message.id as string)),
          ).toString(),
        ),
      );
      expect(event.owner).toBe(ALICE);
      ids.push(event.id);
    }
    const expected = Array.from({ length: 4000 }, (_, i) => i + 1)
      .filter((b) => b > 2 && b % 4 !== 0)
      .map((b) => `${b}-0`);
    expect(ids).toEqual(expected);
    expect(streams.size).toBe(0);
    await log.close();
  });
});
