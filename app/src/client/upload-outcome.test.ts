// SPDX-License-Identifier: Apache-2.0
import { utf8 } from '@medshare/crypto/bytes';
import { PassThrough } from 'node:stream';
import { MedshareError, fail, type Operation } from '@medshare/protocol';
import type { Transport } from './transport';
import type { LedgerBackend } from '@medshare/gateway/src/ledger/backend';
import { GatewayFixture, ledgerWith, party } from '@medshare/gateway/src/testing/fixture';

const TX = '5e'.repeat(32);
const unknown = (): MedshareError =>
  new MedshareError({
    code: 'OUTCOME_UNKNOWN',
    message: 'the peer did not report the commit status before the deadline',
    context: { txId: TX },
  });

/**
 * A ledger that fails the first `failures` submits of `transaction` in a chosen way: after
 * committing (the answer is lost, as when the commit-status call dies) or before anything.
 */
function faulty(
  op: Operation,
  failures: number,
  how: 'commit-then-unknown' | 'unknown' | 'unavailable',
  afterCommit: () => void = () => undefined,
): { wrap: (inner: LedgerBackend) => LedgerBackend; state: { submits: number; failed: number } } {
  const state = { submits: 0, failed: 0 };
  const wrap = (inner: LedgerBackend): LedgerBackend =>
    ledgerWith(inner, {
      async run(envelope) {
        if (envelope.request.op !== op) return inner.run(envelope);
        state.submits += 1;
        if (state.failed >= failures) return inner.run(envelope);
        state.failed += 1;
        if (how === 'commit-then-unknown') {
          await inner.run(envelope);
          afterCommit();
        }
        throw how === 'unavailable'
          ? fail('LEDGER_UNAVAILABLE', 'the endorsing peers needed by the endorsement policy are not reachable')
          : unknown();
      },
    });
  return { wrap, state };
}

/** The fixture's transport, recording every error the gateway answered with. */
function recording(f: GatewayFixture): { transport: Transport; errors: MedshareError[] } {
  const inner = f.injectTransport();
  const errors: MedshareError[] = [];
  const note = <T>(p: Promise<T>): Promise<T> =>
    p.catch((error: unknown) => {
      if (error instanceof MedshareError) errors.push(error);
      throw error;
    });
  return {
    errors,
    transport: {
      post: (path, body, headers) => note(inner.post(path, body, headers)),
      get: (path) => note(inner.get(path)),
      stream: (path, headers) => inner.stream(path, headers),
      close: () => inner.close(),
    },
  };
}

async function recordIds(
  f: GatewayFixture,
  client: ReturnType<GatewayFixture['client']>,
  patient: ReturnType<typeof party>,
): Promise<string[]> {
  return (await client.listRecords(patient, { pageSize: 100 })).items.map((r) => r.recordId);
}

describe('SDK: an upload whose outcome is unknown is resolved, never duplicated', () => {
  let f: GatewayFixture | undefined;
  afterEach(() => f?.close());

  it('committed but unanswered: the 504 carries the txId, the retry (same idempotency key) returns the committed record', async () => {
    const fault = faulty('upload', 1, 'commit-then-unknown');
    f = await GatewayFixture.create({ ledger: fault.wrap });
    const { transport, errors } = recording(f);
    const client = f.client({ transport });
    const patient = party();
    await client.register(patient, 'patient');
    const result = await client.upload(patient, { content: utf8('{"bp":"120/80"}'), kind: 'vital-signs' });
    expect(errors.map((e) => ({ code: e.code, txId: e.context.txId }))).toEqual([
      { code: 'OUTCOME_UNKNOWN', txId: TX },
    ]);
    expect(result).toMatchObject({ replayed: true });
    expect(fault.state.submits).toBe(2);
    expect(await recordIds(f, client, patient)).toEqual([result.recordId]);
    const view = await client.view(patient, result.recordId);
    expect(Buffer.from(view.content).toString()).toBe('{"bp":"120/80"}');
  });

  it('the resolving retry writes nothing: the ledger after it is the ledger the first attempt left', async () => {
    let fixture: GatewayFixture | undefined;
    let afterFirst = '';
    const fault = faulty('upload', 1, 'commit-then-unknown', () => (afterFirst = fixture?.snapshot() ?? ''));
    f = fixture = await GatewayFixture.create({ ledger: fault.wrap });
    const client = f.client();
    const patient = party();
    await client.register(patient, 'patient');
    const result = await client.upload(patient, { content: utf8('{"x":1}'), kind: 'lab-result' });
    expect(result.replayed).toBe(true);
    expect(f.snapshot()).toBe(afterFirst);
    const audit = await client.audit(patient, result.recordId);
    expect(audit.items.map((e) => e.action)).toEqual(['upload']);
  });

  it('not written (LEDGER_UNAVAILABLE): the retry uploads it, once', async () => {
    const fault = faulty('upload', 1, 'unavailable');
    f = await GatewayFixture.create({ ledger: fault.wrap });
    const client = f.client();
    const patient = party();
    await client.register(patient, 'patient');
    const result = await client.upload(patient, { content: utf8('{"a":1}'), kind: 'lab-result' });
    expect(result.replayed).toBe(false);
    expect(fault.state.submits).toBe(2);
    expect(await recordIds(f, client, patient)).toEqual([result.recordId]);
  });

  it('bounded: after its attempts the SDK reports the unknown outcome with the transaction id', async () => {
    const fault = faulty('upload', 99, 'unknown');
    f = await GatewayFixture.create({ ledger: fault.wrap });
    const client = f.client();
    const patient = party();
    await client.register(patient, 'patient');
    const before = f.snapshot();
    await expect(client.upload(patient, { content: utf8('{"a":1}'), kind: 'lab-result' })).rejects.toMatchObject({
      code: 'OUTCOME_UNKNOWN',
      context: { txId: TX },
    });
    expect(fault.state.submits).toBe(3);
    expect(f.snapshot()).toBe(before);
  });

  it('an unknown outcome stays unknown: later attempts that wrote nothing (LEDGER_UNAVAILABLE) do not turn it into "not written"', async () => {
    // attempt 1 commits but its answer is lost; attempts 2 and 3 find the peer gone
    const committedThenUnknown = faulty('upload', 1, 'commit-then-unknown');
    let submits = 0;
    f = await GatewayFixture.create({
      ledger: (inner) => {
        const first = committedThenUnknown.wrap(inner);
        return {
          ...first,
          run: (envelope) => {
            if (envelope.request.op === 'upload' && ++submits > 1)
              return Promise.reject(fail('LEDGER_UNAVAILABLE', 'the peer is unreachable'));
            return first.run(envelope);
          },
        };
      },
    });
    const client = f.client();
    const patient = party();
    await client.register(patient, 'patient');
    await expect(client.upload(patient, { content: utf8('{"a":1}'), kind: 'lab-result' })).rejects.toMatchObject({
      code: 'OUTCOME_UNKNOWN',
      context: { txId: TX },
    });
    expect(submits).toBe(3);
    // and indeed it had committed: the owner's list shows the one record
    expect(await recordIds(f, client, patient)).toHaveLength(1);
  });

  it('the operator log names the ledger failure and its transaction, without record content', async () => {
    const stream = new PassThrough();
    const lines: string[] = [];
    stream.on('data', (chunk: Buffer) => lines.push(chunk.toString()));
    f = await GatewayFixture.create({ ledger: faulty('upload', 1, 'commit-then-unknown').wrap, logStream: stream });
    const client = f.client();
    const patient = party();
    await client.register(patient, 'patient');
    await client.upload(patient, { content: utf8('{"diagnosis":"J45.909"}'), kind: 'clinical-note' });
    const warned = lines
      .join('')
      .split('\n')
      .filter((l) => l.includes('ledger failure'))
      .map((l) => JSON.parse(l) as { level: number; code: string; txId: string });
    expect(warned).toEqual([expect.objectContaining({ level: 40, code: 'OUTCOME_UNKNOWN', txId: TX })]);
    expect(lines.join('')).not.toContain('J45');
  });

  it('only uploads are retried: another write with an unknown outcome is reported at once', async () => {
    const fault = faulty('revoke', 99, 'unknown');
    f = await GatewayFixture.create({ ledger: fault.wrap });
    const client = f.client();
    const patient = party();
    await client.register(patient, 'patient');
    const { recordId } = await client.upload(patient, { content: utf8('{"a":1}'), kind: 'lab-result' });
    await expect(client.revoke(patient, recordId, party().keyId)).rejects.toMatchObject({
      code: 'OUTCOME_UNKNOWN',
      context: { txId: TX },
    });
    expect(fault.state.submits).toBe(1);
  });

  it('a refusal is final: not retried, nothing written', async () => {
    const counter = faulty('upload', 0, 'unknown');
    f = await GatewayFixture.create({ ledger: counter.wrap });
    const client = f.client();
    const stranger = party();
    const before = f.snapshot();
    await expect(client.upload(stranger, { content: utf8('{"a":1}'), kind: 'lab-result' })).rejects.toMatchObject({
      code: 'NOT_REGISTERED_PATIENT',
    });
    expect(counter.state.submits).toBe(1);
    expect(f.snapshot()).toBe(before);
  });
});

describe('SDK: an upload refused SESSION_BUSY', () => {
  it('is sent again (the gateway read nothing of it) and lands once', async () => {
    const f = await GatewayFixture.create();
    try {
      const inner = f.injectTransport();
      let refusedOnce = 0;
      const transport: Transport = {
        ...inner,
        post: (path, body, headers) => {
          if (path === '/v1/requests' && refusedOnce === 0) {
            refusedOnce += 1;
            return Promise.reject(fail('SESSION_BUSY', 'this session has 16 large requests waiting'));
          }
          return inner.post(path, body, headers);
        },
      };
      const patient = party();
      await f.client().register(patient, 'patient');
      const client = f.client({ transport });
      const { recordId } = await client.upload(patient, { content: utf8('{"note":"x"}'), kind: 'clinical-note' });
      expect(refusedOnce).toBe(1);
      expect(await recordIds(f, f.client(), patient)).toEqual([recordId]);
    } finally {
      await f.close();
    }
  });
});
