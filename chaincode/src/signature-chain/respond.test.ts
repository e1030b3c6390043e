// SPDX-License-Identifier: Apache-2.0
import { parseContractOutput, requestHash, verifyFor } from '@medshare/protocol';
import { MemoryLedger, fabricIdentity } from '@medshare/fabric-sim';
import { Harness, ORG1, chaincodeWith, newParty } from '../testing/harness';

describe('responses (sig4)', () => {
  it('verify against K4 and bind the request', async () => {
    const h = await Harness.create();
    const patient = newParty();
    const request = h.request('register', patient, {
      role: 'patient',
      publicKey: patient.publicKey,
      pseudonym: patient.pseudonym,
    });
    const out = await h.call(h.envelope(request, patient));
    const parsed = parseContractOutput(out.raw);
    expect(verifyFor('sig4', h.k4.publicKey, parsed.response, parsed.sig4)).toBe(true);
    expect(parsed.response.requestHash).toBe(requestHash(request));
    expect(parsed.response.at).toBe(h.now);
  });

  it('are byte-identical from two contract instances with the same K4 (deterministic endorsement)', async () => {
    const h = await Harness.create();
    const patient = newParty();
    const envelope = h.envelope(
      h.request('register', patient, { role: 'patient', publicKey: patient.publicKey, pseudonym: patient.pseudonym }),
      patient,
    );
    // two endorsers: same state, same transaction id and timestamp, separate contract instances
    const outputs: string[] = [];
    for (let i = 0; i < 2; i++) {
      const ledger = new MemoryLedger();
      ledger.clock = () => h.now;
      for (const [key, value] of h.ledger.entries()) {
        await ledger.commit({
          txId: `seed-${i}`,
          timestamp: 0,
          reads: new Map(),
          writes: new Map([[key, value]]),
          event: undefined,
          paginated: false,
        });
      }
      const chaincode = chaincodeWith({ contractKey: h.k4 });
      const ctx = ledger.simulate(fabricIdentity(ORG1), {
        txId: 'ab'.repeat(32),
        invocation: { fcn: 'registry:Register', args: [envelope] },
      });
      outputs.push(await chaincode.invoke(ctx.stub));
    }
    expect(outputs[0]).toBe(outputs[1]);
  });

  it('fail clearly when K4 is not configured', async () => {
    const h = await Harness.create();
    const chaincode = chaincodeWith({});
    const p = newParty();
    const env = h.envelope(
      h.request('register', p, { role: 'patient', publicKey: p.publicKey, pseudonym: p.pseudonym }),
      p,
    );
    await expect(chaincode.submit(h.ledger, h.client(), 'registry:Register', [env])).rejects.toMatchObject({
      code: 'INTERNAL',
      message: expect.stringMatching(/K4/),
    });
  });
});
