// SPDX-License-Identifier: Apache-2.0
import { PassThrough } from 'node:stream';
import { watchUpload } from './request-timeouts';

describe('watchUpload', () => {
  it('cuts a body that stops sending with INVALID_INPUT, heard by its reader', async () => {
    const raw = new PassThrough();
    const watched = watchUpload(raw, { idleTimeoutMs: 30, capMs: 10_000 });
    raw.write('some bytes');
    const read = (async () => {
      for await (const _ of watched) {
        // reading
      }
    })();
    await expect(read).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('no byte') });
  });

  it('a body nobody reads any more (a refused upload) is cut without an unhandled error', async () => {
    const raw = new PassThrough();
    const watched = watchUpload(raw, { idleTimeoutMs: 20, capMs: 10_000 });
    watched.resume();
    raw.write('a refused upload whose client is still sending');
    // Without a listener of its own, the cut's 'error' would end the process (jest reports it).
    await new Promise((resolve) => watched.once('close', resolve));
    expect(watched.destroyed).toBe(true);
    expect(watched.errored).toMatchObject({ code: 'INVALID_INPUT' });
  });
});
