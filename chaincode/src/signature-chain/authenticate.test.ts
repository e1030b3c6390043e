// SPDX-License-Identifier: Apache-2.0
import { MAX_MESSAGE_BYTES } from '@medshare/protocol';
import { Harness, ORG1, ORG2, newParty, rejects, flip, type Party } from '../testing/harness';

describe('the signature chain on every request', () => {
  let h: Harness;
  let patient: Party;
  beforeEach(async () => {
    h = await Harness.create();
    patient = await h.registerPatient();
  });

  it('bad sig3', async () => {
    const env = JSON.parse(h.envelope(h.request('upload', patient, h.sealedRecord(patient).body), patient)) as {
      sig3: string;
    };
    await rejects(h, () => h.call(JSON.stringify({ ...env, sig3: flip(env.sig3) })), 'SIG3_INVALID');
  });

  it('missing sig3', async () => {
    const { sig3: _drop, ...env } = JSON.parse(
      h.envelope(h.request('upload', patient, h.sealedRecord(patient).body), patient),
    ) as { sig3: string };
    await rejects(h, () => h.call(JSON.stringify(env)), 'INVALID_INPUT', /envelope.sig3 must be a string/);
  });

  it("sig3 by another org's K3 (the submitting client is Org1)", async () => {
    const env = h.envelope(h.request('upload', patient, h.sealedRecord(patient).body), patient, ORG1, h.k3[ORG2]);
    await rejects(h, () => h.call(env, ORG1), 'UNKNOWN_ACCESS_KEY', /Org1MSP/);
  });

  it('bad sig1', async () => {
    const env = JSON.parse(h.envelope(h.request('upload', patient, h.sealedRecord(patient).body), patient)) as {
      sig1: string;
      request: never;
    };
    // re-sign sig3 over the tampered sig1 so that only sig1 is wrong
    const tampered = h.envelope(env.request, patient);
    const parsed = JSON.parse(tampered) as { sig1: string };
    const bad = { ...parsed, sig1: flip(parsed.sig1) };
    await rejects(h, () => h.call(JSON.stringify(bad)), 'SIG3_INVALID');
    const other = newParty();
    await rejects(h, () => h.call(h.envelope(env.request, other)), 'SIG1_INVALID');
  });

  it('replayed nonce', async () => {
    const env = h.envelope(h.request('upload', patient, h.sealedRecord(patient).body), patient);
    await h.call(env);
    await rejects(h, () => h.call(env), 'NONCE_REPLAYED');
  });

  it('expired and not-yet-valid requests', async () => {
    const env = h.envelope(h.request('upload', patient, h.sealedRecord(patient).body, 60_000), patient);
    h.now += 60_001;
    await rejects(h, () => h.call(env), 'REQUEST_EXPIRED', /expired/);
    h.now -= 10 * 60_000;
    await rejects(h, () => h.call(env), 'CLOCK_SKEW', /check clock-skew: .*ahead/);
  });

  it('malformed, oversized and unknown-field envelopes, and a transaction for another op', async () => {
    await rejects(h, () => h.submit('records:Upload', ['{not json'], h.client()), 'INVALID_INPUT', /not valid JSON/);
    await rejects(
      h,
      () => h.submit('records:Upload', ['x'.repeat(MAX_MESSAGE_BYTES + 1)], h.client()),
      'PAYLOAD_TOO_LARGE',
    );
    const env = JSON.parse(h.envelope(h.request('upload', patient, h.sealedRecord(patient).body), patient)) as Record<
      string,
      unknown
    >;
    await rejects(
      h,
      () => h.call(JSON.stringify({ ...env, extra: 1 })),
      'INVALID_INPUT',
      /envelope.extra is not an allowed field/,
    );
    const view = h.envelope(h.request('view', patient, { recordId: 'a'.repeat(64) }), patient);
    await rejects(
      h,
      () => h.submit('records:Upload', [view], h.client()),
      'INVALID_INPUT',
      /this transaction is upload/,
    );
  });

  it('unknown transaction names are input errors, in every contract', async () => {
    for (const fcn of [
      'records:DropTable',
      'registry:DropTable',
      'layer-keys:DropTable',
      'audit:DropTable',
      'DropTable',
    ]) {
      await rejects(h, () => h.submit(fcn, []), 'INVALID_INPUT', /unknown transaction/);
    }
  });
});
