// SPDX-License-Identifier: Apache-2.0
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { toHex } from '@medshare/crypto/bytes';
import {
  MIN_CHUNK_BYTES,
  chunkLength,
  cryptChunk,
  fileLayout,
  leafHash,
  treeRoot,
} from '@medshare/crypto/chunked-file';
import { fail, type UploadGrant } from '@medshare/protocol';
import type { Transport } from '../client/transport';
import { uploadResumably, type ResumeEvent } from './resumable-upload';

const C = MIN_CHUNK_BYTES;
/** The fake gateway keeps whole parts of 3 chunks, as the real one keeps whole (chunk-aligned) parts. */
const P = 3 * C;
const dir = mkdtempSync(join(tmpdir(), 'medshare-resumable-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const grant: UploadGrant = {
  v: 1,
  requestHash: '00'.repeat(32),
  uploadId: '11'.repeat(32),
  uploadToken: '22'.repeat(32),
  expiresAt: Date.now() + 60_000,
};

function file(size: number): { path: string; plain: Buffer } {
  const plain = randomBytes(size);
  const path = join(dir, `plain-${size}-${Math.random()}`);
  writeFileSync(path, plain);
  return { path, plain };
}

function rootOf(ciphertext: Buffer, size: number): string {
  const layout = fileLayout(size, C);
  const leaves = Array.from({ length: layout.chunks }, (_, i) =>
    leafHash(i, i === layout.chunks - 1, ciphertext.subarray(i * C, i * C + chunkLength(layout, i))),
  );
  return toHex(treeRoot(leaves));
}

function encrypted(plain: Buffer, key: Uint8Array): Buffer {
  const layout = fileLayout(plain.length, C);
  return Buffer.concat(
    Array.from({ length: layout.chunks }, (_, i) =>
      cryptChunk(key, i, plain.subarray(i * C, i * C + chunkLength(layout, i))),
    ),
  );
}

interface Put {
  readonly offset: number;
  readonly length: number;
}

/**
 * A gateway as the protocol describes it, in memory: it keeps the whole parts of a PUT, answers
 * the committed offset on GET, and completes when the last byte arrives. `script[n]` says how the
 * n-th PUT ends: cut after so many bytes (a dropped connection), `lost` (stored, but the answer
 * never came), or refused with a code.
 */
function fakeGateway(
  size: number,
  script: ReadonlyArray<{ cutAfter?: number; lost?: boolean; refuse?: string; lie?: boolean } | undefined>,
): { transport: Transport; puts: Put[]; stored: () => Buffer } {
  let committed = Buffer.alloc(0);
  let staged: { size: number; root: string; chunks: number } | undefined;
  const puts: Put[] = [];
  const upload = async (
    _path: string,
    body: Readable,
    length: number,
    headers: Readonly<Record<string, string>>,
  ): Promise<unknown> => {
    const step = script[puts.length];
    const offset = Number(headers['upload-offset'] ?? 0);
    puts.push({ offset, length });
    if (offset !== committed.length) throw fail('UPLOAD_OFFSET_MISMATCH', 'not where the stored bytes end');
    if (step?.refuse) {
      body.destroy();
      throw fail(step.refuse as 'INTEGRITY_FAILED', 'refused by the fake gateway');
    }
    const received: Buffer[] = [];
    let got = 0;
    for await (const piece of body) {
      received.push(piece as Buffer);
      got += (piece as Buffer).length;
      if (step?.cutAfter !== undefined && got >= step.cutAfter) {
        body.destroy();
        const bytes = Buffer.concat(received).subarray(0, step.cutAfter);
        committed = Buffer.concat([committed, bytes.subarray(0, Math.floor(bytes.length / P) * P)]);
        throw fail('LEDGER_UNAVAILABLE', 'upload failed: socket hang up');
      }
    }
    committed = Buffer.concat([committed, ...received]);
    if (committed.length !== size) throw fail('INTEGRITY_FAILED', 'short');
    staged = {
      size,
      root: step?.lie ? 'ab'.repeat(32) : rootOf(committed, size),
      chunks: fileLayout(size, C).chunks,
    };
    if (step?.lost) throw fail('LEDGER_UNAVAILABLE', 'upload failed: the answer was lost');
    return staged;
  };
  const transport: Transport = {
    upload,
    get: () =>
      Promise.resolve({
        uploadId: grant.uploadId,
        size,
        chunkBytes: C,
        offset: committed.length,
        expiresAt: grant.expiresAt,
        ...(staged ? { staged } : {}),
      }),
    post: () => Promise.reject(new Error('not used')),
    stream: () => Promise.reject(new Error('not used')),
    close() {},
  };
  return { transport, puts, stored: () => committed };
}

describe('uploadResumably', () => {
  const key = randomBytes(16);

  it('uploads in one PUT when nothing goes wrong; the gateway root is the one computed here', async () => {
    const { path, plain } = file(7 * C + 9);
    const gw = fakeGateway(plain.length, []);
    const progress: number[] = [];
    const staged = await uploadResumably(gw.transport, grant, path, key, {
      chunkBytes: C,
      size: plain.length,
      sleep: () => Promise.resolve(),
      onProgress: (b) => progress.push(b),
    });
    expect(staged.root).toBe(rootOf(encrypted(plain, key), plain.length));
    expect(gw.puts).toEqual([{ offset: 0, length: plain.length }]);
    expect(progress.at(-1)).toBe(plain.length);
  });

  it('after a dropped connection asks for the offset and sends only the rest, re-encrypted from there', async () => {
    const { path, plain } = file(10 * C + 77);
    const gw = fakeGateway(plain.length, [{ cutAfter: 2 * P + C + 5 }, { cutAfter: P + 10 }]);
    const resumes: ResumeEvent[] = [];
    const sleeps: number[] = [];
    const progress: number[] = [];
    const staged = await uploadResumably(gw.transport, grant, path, key, {
      chunkBytes: C,
      size: plain.length,
      delayMs: 100,
      sleep: (ms) => {
        sleeps.push(ms);
        return Promise.resolve();
      },
      onResume: (r) => resumes.push(r),
      onProgress: (b) => progress.push(b),
    });
    expect(resumes).toEqual([
      { offset: 2 * P, attempt: 2 },
      { offset: 3 * P, attempt: 3 },
    ]);
    expect(sleeps).toEqual([100, 200]);
    expect(gw.puts).toEqual([
      { offset: 0, length: plain.length },
      { offset: 2 * P, length: plain.length - 2 * P },
      { offset: 3 * P, length: plain.length - 3 * P },
    ]);
    // The stored ciphertext is the file's, byte for byte, and its root the one checked here.
    expect(gw.stored().equals(encrypted(plain, key))).toBe(true);
    expect(staged.root).toBe(rootOf(gw.stored(), plain.length));
    // Progress goes back to the resumed offset (counting on from it), and ends at the size.
    const back = progress.findIndex((b, i) => i > 0 && b < progress[i - 1]!);
    expect(back).toBeGreaterThan(0);
    expect(progress[back]).toBeGreaterThan(2 * P);
    expect(progress.at(-1)).toBe(plain.length);
  });

  it('when the last answer was lost, takes the digest the gateway staged without sending again', async () => {
    const { path, plain } = file(4 * C);
    const gw = fakeGateway(plain.length, [{ lost: true }]);
    const staged = await uploadResumably(gw.transport, grant, path, key, {
      chunkBytes: C,
      size: plain.length,
      sleep: () => Promise.resolve(),
    });
    expect(gw.puts).toHaveLength(1);
    expect(staged.root).toBe(rootOf(encrypted(plain, key), plain.length));
  });

  it('gives up after the attempts allowed, with the last error', async () => {
    const { path, plain } = file(8 * C);
    const gw = fakeGateway(plain.length, [{ cutAfter: 100 }, { cutAfter: 100 }, { cutAfter: 100 }]);
    await expect(
      uploadResumably(gw.transport, grant, path, key, {
        chunkBytes: C,
        size: plain.length,
        attempts: 3,
        sleep: () => Promise.resolve(),
      }),
    ).rejects.toMatchObject({ code: 'LEDGER_UNAVAILABLE' });
    expect(gw.puts).toHaveLength(3);
  });

  it('does not retry a refusal, a local read error, or a gateway that stored other bytes (INTEGRITY_FAILED)', async () => {
    const { path, plain } = file(3 * C);
    const refused = fakeGateway(plain.length, [{ refuse: 'INTEGRITY_FAILED' }]);
    const options = { chunkBytes: C, size: plain.length, sleep: () => Promise.resolve() };
    await expect(uploadResumably(refused.transport, grant, path, key, options)).rejects.toMatchObject({
      code: 'INTEGRITY_FAILED',
    });
    expect(refused.puts).toHaveLength(1);
    const missing = fakeGateway(plain.length, []);
    await expect(uploadResumably(missing.transport, grant, join(dir, 'none'), key, options)).rejects.toMatchObject({
      code: 'ENOENT',
    });
    expect(missing.puts.length).toBeLessThanOrEqual(1);
    const liar = fakeGateway(plain.length, [{ lie: true }]);
    await expect(uploadResumably(liar.transport, grant, path, key, options)).rejects.toMatchObject({
      code: 'INTEGRITY_FAILED',
      message: expect.stringContaining('other bytes'),
    });
  });
});
