// SPDX-License-Identifier: Apache-2.0
import { MedshareError, fail } from '@medshare/protocol';
import type { Transport } from '@medshare/app';
import { GatewayFixture, party } from '../testing/fixture';
import { envelopeFor, sealedInject } from '../testing/sealed-requests';
import { rawSession, sealFor } from '../testing/raw-session';
import { HEAVY_CIPHERTEXT_CHARS, HeavyTurns, giveWay } from './heavy-turns';

/** A piece of work that runs until `release()`, and says whether it started. */
function held(): { work: () => Promise<string>; started: () => boolean; release: (v: string) => void } {
  let started = false;
  let release: (v: string) => void = () => undefined;
  const done = new Promise<string>((resolve) => {
    release = resolve;
  });
  return {
    work: () => {
      started = true;
      return done;
    },
    started: () => started,
    release: (v) => release(v),
  };
}

describe('heavy requests take turns per session', () => {
  it('one at a time per session, in arrival order, while other sessions go on', async () => {
    const turns = new HeavyTurns(4);
    const a1 = held();
    const a2 = held();
    const b1 = held();
    const p1 = turns.run('a', a1.work);
    const p2 = turns.run('a', a2.work);
    const q1 = turns.run('b', b1.work);
    await giveWay();
    expect([a1.started(), a2.started(), b1.started()]).toEqual([true, false, true]);
    expect([turns.load('a'), turns.load('b')]).toEqual([2, 1]);
    b1.release('b1');
    await expect(q1).resolves.toBe('b1');
    expect(a2.started()).toBe(false);
    a1.release('a1');
    await expect(p1).resolves.toBe('a1');
    await giveWay();
    expect(a2.started()).toBe(true);
    a2.release('a2');
    await expect(p2).resolves.toBe('a2');
    expect([turns.load('a'), turns.load('b')]).toEqual([0, 0]);
  });

  it('a failed turn passes the turn on; past maxWaiting a request is refused SESSION_BUSY without running', async () => {
    const turns = new HeavyTurns(1);
    const first = held();
    const running = turns.run('s', first.work);
    const waiting = turns.run('s', () => Promise.reject(fail('SIG2_INVALID', 'bad')));
    let ran = false;
    const refused = turns.run('s', () => {
      ran = true;
      return Promise.resolve('never');
    });
    await expect(refused).rejects.toMatchObject({ code: 'SESSION_BUSY' });
    expect(ran).toBe(false);
    first.release('ok');
    await expect(running).resolves.toBe('ok');
    await expect(waiting).rejects.toMatchObject({ code: 'SIG2_INVALID' });
    await expect(turns.run('s', () => Promise.resolve('again'))).resolves.toBe('again');
    expect(turns.load('s')).toBe(0);
    expect(() => new HeavyTurns(-1)).toThrow(RangeError);
  });
});

describe('heavy requests through the gateway', () => {
  /** The SDK's sealed upload bodies, captured instead of sent (the SDK's own session). */
  function capturing(f: GatewayFixture): {
    transport: Transport;
    bodies: Array<{ sessionId: string; ciphertext: string }>;
  } {
    const inner = f.injectTransport();
    const bodies: Array<{ sessionId: string; ciphertext: string }> = [];
    return {
      bodies,
      transport: {
        ...inner,
        post: (path, body, headers) => {
          if (path !== '/v1/requests') return inner.post(path, body, headers);
          bodies.push(body as { sessionId: string; ciphertext: string });
          return Promise.reject(fail('INVALID_INPUT', 'captured by the test'));
        },
      },
    };
  }

  it('refuses SESSION_BUSY past the waiting bound before reading anything: the same request sent again succeeds, nothing else changed', async () => {
    const f = await GatewayFixture.create({ heavyWaitingPerSession: 1 });
    try {
      const patient = party();
      await f.client().register(patient, 'patient');
      const { transport, bodies } = capturing(f);
      const uploader = f.client({ transport });
      const content = new Uint8Array(HEAVY_CIPHERTEXT_CHARS).fill(7); // sealed and base64: heavy
      for (let i = 0; i < 5; i++)
        await expect(uploader.upload(patient, { content, kind: 'clinical-note' })).rejects.toBeInstanceOf(
          MedshareError,
        );
      expect(bodies).toHaveLength(5);
      expect(bodies.every((b) => b.ciphertext.length > HEAVY_CIPHERTEXT_CHARS)).toBe(true);

      // Another session's light request alongside: never takes a turn.
      const other = await rawSession(f);
      const light = sealFor(other, envelopeFor(f, patient, 'list-records'));
      const before = f.snapshot();
      const answers = await Promise.all([
        ...bodies.map((b) => f.app.inject(sealedInject(b))),
        f.app.inject(sealedInject(light)),
      ]);
      const codes = answers.map(
        (r) => `${r.statusCode} ${r.statusCode === 200 ? '' : r.json<{ code: string }>().code}`,
      );
      expect(codes.at(-1)).toBe('200 ');
      const busy = codes.slice(0, -1).flatMap((c, i) => (c === '429 SESSION_BUSY' ? [i] : []));
      const served = codes.slice(0, -1).filter((c) => c === '200 ').length;
      // The first holds the turn, one waits, the rest arrive while both are taken.
      expect(busy.length).toBeGreaterThan(0);
      expect(served + busy.length).toBe(5);
      for (const i of busy) expect(answers[i]?.headers['retry-after']).toBe('1');

      // Only the served uploads are on the ledger.
      const listed = async (): Promise<number> =>
        (await f.client().listRecords(patient, { pageSize: 50 })).items.length;
      expect(await listed()).toBe(served);
      expect(f.snapshot()).not.toBe(before);
      // A refused request was not read (no nonce spent): sent again, alone, it is served.
      for (const i of busy) expect((await f.app.inject(sealedInject(bodies[i] as never))).statusCode).toBe(200);
      expect(await listed()).toBe(5);
    } finally {
      await f.close();
    }
  });
});
