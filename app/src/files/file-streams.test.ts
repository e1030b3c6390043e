// SPDX-License-Identifier: Apache-2.0
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { MIN_CHUNK_BYTES, cryptChunk, leafHash, treeRoot } from '@medshare/crypto/chunked-file';
import { ChunkDecryptor, ChunkEncryptor, checkedLeaves, decryptToFile, type FileDigest } from './file-streams';
import { liveLeafWorkers } from '@medshare/protocol';

const C = MIN_CHUNK_BYTES;
const key = randomBytes(16);

/** Splits `data` into pushes of `piece` bytes (the last shorter), none empty. */
function pieces(data: Buffer, piece: number): Buffer[] {
  const out: Buffer[] = [];
  for (let o = 0; o < data.length; o += piece) out.push(data.subarray(o, o + piece));
  return out;
}

async function run(stream: NodeJS.ReadWriteStream, input: Buffer[]): Promise<{ out: Buffer; error: unknown }> {
  const out: Buffer[] = [];
  let error: unknown;
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      out.push(chunk);
      callback();
    },
  });
  try {
    await pipeline(Readable.from(input), stream, sink);
  } catch (e) {
    error = e;
  }
  return { out: Buffer.concat(out), error };
}

async function encrypt(plaintext: Buffer, piece = 1000): Promise<{ ciphertext: Buffer; digest: FileDigest }> {
  const encryptor = new ChunkEncryptor({ key, chunkBytes: C });
  const { out, error } = await run(encryptor, pieces(plaintext, piece));
  expect(error).toBeUndefined();
  return { ciphertext: out, digest: encryptor.digest };
}

function decryptor(digest: FileDigest): ChunkDecryptor {
  return new ChunkDecryptor({ key, size: digest.size, chunkBytes: digest.chunkBytes, leaves: digest.leaves });
}

const SIZES = [0, 1, C - 1, C, C + 1, 3 * C, 3 * C + 5];

/** Waits (up to 5 s) for every leaf worker to exit: none may outlive its stream, whatever ended it. */
async function workersGone(): Promise<void> {
  for (let i = 0; i < 500 && liveLeafWorkers() > 0; i++) await new Promise((r) => setTimeout(r, 10));
  expect(liveLeafWorkers()).toBe(0);
}
afterEach(workersGone);

describe('ChunkEncryptor', () => {
  it.each(SIZES)(
    'encrypts %i bytes as §16 says: SM4-CTR per chunk, leaves with the final flag, their root',
    async (size) => {
      const plaintext = randomBytes(size);
      for (const piece of [1, 999, C, 10 * C]) {
        if (piece === 1 && size > C + 1) continue;
        const { ciphertext, digest } = await encrypt(plaintext, piece);
        const chunks = Math.max(1, Math.ceil(size / C));
        const expected: Buffer[] = [];
        const leaves: Uint8Array[] = [];
        for (let i = 0; i < chunks; i++) {
          const ct = cryptChunk(key, i, plaintext.subarray(i * C, (i + 1) * C));
          expected.push(Buffer.from(ct));
          leaves.push(leafHash(i, i === chunks - 1, ct));
        }
        expect(ciphertext.equals(Buffer.concat(expected))).toBe(true);
        expect(digest).toMatchObject({ size, chunkBytes: C, chunks });
        expect(digest.leaves.map((l) => Buffer.from(l).toString('hex'))).toEqual(
          leaves.map((l) => Buffer.from(l).toString('hex')),
        );
        expect(Buffer.from(digest.root).equals(Buffer.from(treeRoot(leaves)))).toBe(true);
      }
    },
  );

  it('refuses a chunk size §16 does not allow, and a key of the wrong length', () => {
    expect(() => new ChunkEncryptor({ key, chunkBytes: 4097 })).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT' }),
    );
    expect(() => new ChunkEncryptor({ key: randomBytes(32), chunkBytes: C })).toThrow(RangeError);
    expect(() => new ChunkEncryptor({ key, chunkBytes: C, firstChunk: -1 })).toThrow(RangeError);
  });

  it.each([1, 3])(
    "resumes at chunk %i: the ciphertext from there is the whole file's, the root (earlier leaves given) too",
    async (first) => {
      const plaintext = randomBytes(4 * C + 17);
      const whole = await encrypt(plaintext);
      const leaves = whole.digest.leaves.slice(0, first);
      const resumed = new ChunkEncryptor({ key, chunkBytes: C, firstChunk: first, leaves });
      const { out, error } = await run(resumed, pieces(plaintext.subarray(first * C), 777));
      expect(error).toBeUndefined();
      expect(out.equals(whole.ciphertext.subarray(first * C))).toBe(true);
      expect(resumed.digest).toMatchObject({ size: plaintext.length, chunks: 5 });
      expect(Buffer.from(resumed.digest.root).equals(Buffer.from(whole.digest.root))).toBe(true);
    },
  );

  it('a resumed stream without the earlier leaves ends with an error (no root can be made), not a wrong root', async () => {
    const plaintext = randomBytes(3 * C);
    const resumed = new ChunkEncryptor({ key, chunkBytes: C, firstChunk: 2 });
    const { error } = await run(resumed, [plaintext.subarray(2 * C)]);
    expect(error).toMatchObject({ message: expect.stringContaining('no leaf for chunk 0') });
  });
});

describe('ChunkDecryptor', () => {
  it.each(SIZES)('round-trips %i bytes in pieces of any size', async (size) => {
    const plaintext = randomBytes(size);
    const { ciphertext, digest } = await encrypt(plaintext);
    for (const piece of [1, 777, C, C + 1, 10 * C]) {
      if (piece === 1 && size > C + 1) continue;
      const { out, error } = await run(decryptor(digest), pieces(ciphertext, piece));
      expect(error).toBeUndefined();
      expect(out.equals(plaintext)).toBe(true);
    }
  });

  describe('refuses with INTEGRITY_FAILED, emitting no plaintext of the bad chunk', () => {
    const plaintext = randomBytes(4 * C + 100); // chunks 0..3 full, chunk 4 of 100 bytes (final)
    let ciphertext: Buffer;
    let digest: FileDigest;
    beforeAll(async () => {
      ({ ciphertext, digest } = await encrypt(plaintext));
    });

    async function refused(input: Buffer[], goodChunks: number): Promise<void> {
      const { out, error } = await run(decryptor(digest), input);
      expect(error).toMatchObject({ name: 'MedshareError', code: 'INTEGRITY_FAILED' });
      // Exactly the chunks before the bad one, nothing of it or after it.
      expect(out.equals(plaintext.subarray(0, goodChunks * C))).toBe(true);
    }
    const chunk = (i: number): Buffer => ciphertext.subarray(i * C, (i + 1) * C);

    it('a flipped byte in chunk 2', async () => {
      const bad = Buffer.from(ciphertext);
      bad[2 * C + 17]! ^= 0x01;
      await refused(pieces(bad, 1000), 2);
    });

    it('a flipped byte in the final chunk', async () => {
      const bad = Buffer.from(ciphertext);
      bad[bad.length - 1]! ^= 0x80;
      await refused([bad], 4);
    });

    it('chunks 0 and 1 swapped', async () => {
      await refused([chunk(1), chunk(0), ciphertext.subarray(2 * C)], 0);
    });

    it('chunks 1 and 2 swapped', async () => {
      await refused([chunk(0), chunk(2), chunk(1), ciphertext.subarray(3 * C)], 1);
    });

    it('a truncated stream: one byte short', async () => {
      await refused([ciphertext.subarray(0, ciphertext.length - 1)], 4);
    });

    it('a truncated stream: the final chunk missing (ends on a chunk boundary)', async () => {
      await refused([ciphertext.subarray(0, 4 * C)], 4);
    });

    it('a truncated stream: a full chunk presented as the last one (its leaf says not final)', async () => {
      const small = randomBytes(2 * C);
      const enc = await encrypt(small);
      const cut = new ChunkDecryptor({ key, size: C, chunkBytes: C, leaves: [enc.digest.leaves[0]!] });
      const { out, error } = await run(cut, [enc.ciphertext.subarray(0, C)]);
      expect(error).toMatchObject({ code: 'INTEGRITY_FAILED' });
      expect(out.length).toBe(0);
    });

    it('an extra byte in the same push as the final chunk', async () => {
      await refused([Buffer.concat([ciphertext, Buffer.from([0])])], 4);
    });

    it('an extra byte pushed after the complete file (the final chunk is held until the end)', async () => {
      await refused([ciphertext, Buffer.from([0])], 4);
    });

    it('an extra chunk after an empty file', async () => {
      const { ciphertext: empty, digest: d } = await encrypt(Buffer.alloc(0));
      expect(empty.length).toBe(0);
      const { out, error } = await run(decryptor(d), [Buffer.from('x')]);
      expect(error).toMatchObject({ code: 'INTEGRITY_FAILED' });
      expect(out.length).toBe(0);
    });

    it('leaves of another file (the wrong count)', () => {
      expect(
        () => new ChunkDecryptor({ key, size: digest.size, chunkBytes: C, leaves: digest.leaves.slice(1) }),
      ).toThrow(expect.objectContaining({ code: 'INTEGRITY_FAILED' }));
    });
  });
});

describe('leaf workers', () => {
  it('hash the leaves of a stream of several chunks on a worker thread, which exits at the end', async () => {
    const plaintext = randomBytes(5 * C + 3);
    const encryptor = new ChunkEncryptor({ key, chunkBytes: C });
    let seen = 0;
    const sink = new Writable({
      write(_chunk: Buffer, _encoding, callback) {
        seen = Math.max(seen, liveLeafWorkers());
        callback();
      },
    });
    await pipeline(Readable.from(pieces(plaintext, C)), encryptor, sink);
    expect(seen).toBe(1);
    expect(encryptor.digest.chunks).toBe(6);
  });

  it('are not started for a stream of one chunk', async () => {
    const encryptor = new ChunkEncryptor({ key, chunkBytes: C });
    encryptor.resume();
    encryptor.end(randomBytes(C));
    await new Promise((resolve) => encryptor.once('end', resolve));
    expect(liveLeafWorkers()).toBe(0);
    expect(encryptor.digest.chunks).toBe(1);
  });

  it('start with a decryptor of several chunks, before its first byte, and end when it is destroyed unused', async () => {
    const { digest } = await encrypt(randomBytes(3 * C));
    await workersGone();
    const unused = decryptor(digest);
    expect(liveLeafWorkers()).toBe(1);
    unused.destroy();
    await workersGone();
    const one = await encrypt(randomBytes(C));
    decryptor(one.digest).destroy();
    expect(liveLeafWorkers()).toBe(0);
  });

  it('end with the encryptor destroyed mid-stream', async () => {
    const encryptor = new ChunkEncryptor({ key, chunkBytes: C });
    encryptor.resume();
    await new Promise<void>((resolve) => encryptor.write(randomBytes(2 * C + 1), () => resolve()));
    expect(liveLeafWorkers()).toBe(1);
    encryptor.destroy();
    await workersGone();
  });

  it('end with the decryptor destroyed mid-stream, and with it refusing a chunk', async () => {
    const plaintext = randomBytes(4 * C);
    const { ciphertext, digest } = await encrypt(plaintext);
    await workersGone();
    const dec = decryptor(digest);
    dec.resume();
    await new Promise<void>((resolve) => dec.write(ciphertext.subarray(0, 2 * C), () => resolve()));
    expect(liveLeafWorkers()).toBe(1);
    dec.destroy();
    await workersGone();

    const bad = Buffer.from(ciphertext);
    bad[3 * C]! ^= 1;
    const { out, error } = await run(decryptor(digest), pieces(bad, C));
    expect(error).toMatchObject({ code: 'INTEGRITY_FAILED' });
    expect(out.equals(plaintext.subarray(0, 3 * C))).toBe(true);
  });

  it('decrypt chunks larger than a slice whole, and still refuse a later bad chunk before any of it', async () => {
    const big = 64 * C + 16; // more than three 64 KiB slices
    const plaintext = randomBytes(3 * big + 5);
    const encryptor = new ChunkEncryptor({ key, chunkBytes: big });
    const { out: ciphertext } = await run(encryptor, pieces(plaintext, 10_000));
    const d = encryptor.digest;
    const dec = (): ChunkDecryptor => new ChunkDecryptor({ key, size: d.size, chunkBytes: big, leaves: d.leaves });
    expect((await run(dec(), pieces(ciphertext, 30_000))).out.equals(plaintext)).toBe(true);
    const bad = Buffer.from(ciphertext);
    bad[2 * big + 100]! ^= 1;
    const { out, error } = await run(dec(), pieces(bad, 30_000));
    expect(error).toMatchObject({ code: 'INTEGRITY_FAILED' });
    expect(out.equals(plaintext.subarray(0, 2 * big))).toBe(true);
  });

  it('hold a few chunks at most when the consumer does not read (backpressure reaches the writer)', async () => {
    const big = 16 * C;
    const encryptor = new ChunkEncryptor({ key, chunkBytes: big });
    const { out: ciphertext } = await run(encryptor, pieces(randomBytes(16 * big), big));
    const digest = encryptor.digest;
    await workersGone();
    const dec = new ChunkDecryptor({ key, size: digest.size, chunkBytes: big, leaves: digest.leaves });
    let accepted = 0;
    for (const piece of pieces(ciphertext, big)) {
      accepted++;
      if (!dec.write(piece)) break;
    }
    await new Promise((r) => setTimeout(r, 300));
    // Nothing is read: the writes stop once a few chunks wait, instead of the file being buffered.
    expect(accepted).toBeLessThanOrEqual(4);
    expect(dec.writableLength + dec.readableLength).toBeLessThanOrEqual(4 * big);
    dec.destroy();
  });
});

describe('ChunkDecryptor pipelining and backpressure', () => {
  const big = 64 * C; // 256 KiB chunks: four 64 KiB slices each
  let plaintext: Buffer;
  let ciphertext: Buffer;
  let digest: FileDigest;
  beforeAll(async () => {
    plaintext = randomBytes(6 * big + 7);
    const encryptor = new ChunkEncryptor({ key, chunkBytes: big });
    ({ out: ciphertext } = await run(encryptor, pieces(plaintext, big)));
    digest = encryptor.digest;
  });
  const dec = (): ChunkDecryptor =>
    new ChunkDecryptor({ key, size: digest.size, chunkBytes: big, leaves: digest.leaves });

  it('takes a waiting chunk as soon as the one ahead of it is decrypted, not when the queue is empty', async () => {
    const d = dec();
    let emitted = 0;
    d.on('data', (piece: Buffer) => (emitted += piece.length));
    const taken: number[] = [];
    const done = new Promise((resolve) => d.once('end', resolve));
    // Chunks 0 and 1 fill the queue; chunk 2's write waits for room. It must be taken when chunk 0
    // is decrypted (so that it is gathered and hashed during chunk 1's SM4), before any of chunk 1.
    for (const piece of pieces(ciphertext, big)) d.write(piece, () => taken.push(emitted));
    d.end();
    await done;
    expect(taken[2]).toBeLessThanOrEqual(big);
    expect(emitted).toBe(plaintext.length);
  });

  it('stops decrypting while a chunk of plaintext is unread, and goes on when the consumer reads', async () => {
    const d = dec();
    for (const piece of pieces(ciphertext, big)) if (!d.write(piece)) break;
    await new Promise((r) => setTimeout(r, 300));
    // Nothing read: at most the readable side's chunk plus one slice of plaintext waits.
    expect(d.readableLength).toBeGreaterThan(0);
    expect(d.readableLength).toBeLessThanOrEqual(big + 64 * 1024);
    d.destroy();

    // A slow consumer (a write every few milliseconds) gets the whole file, in order.
    const out: Buffer[] = [];
    const slow = new Writable({
      highWaterMark: 1024,
      write(piece: Buffer, _encoding, callback) {
        out.push(piece);
        setTimeout(callback, 2);
      },
    });
    await pipeline(Readable.from(pieces(ciphertext, 50_000)), dec(), slow);
    expect(Buffer.concat(out).equals(plaintext)).toBe(true);
  });
});

describe('decryptToFile', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(os.tmpdir(), 'medshare-decrypt-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes the checked plaintext to the file (mode 0600) and leaves no temporary file', async () => {
    const plaintext = randomBytes(5 * C + 9);
    const { ciphertext, digest } = await encrypt(plaintext);
    const out = join(dir, 'out.bin');
    await decryptToFile(Readable.from(pieces(ciphertext, 3000)), out, {
      key,
      size: digest.size,
      chunkBytes: C,
      leaves: digest.leaves,
    });
    expect(readFileSync(out).equals(plaintext)).toBe(true);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual(['out.bin']);
  });

  it('leaves nothing behind when a chunk is altered (INTEGRITY_FAILED), the source fails, or the leaves are wrong', async () => {
    const plaintext = randomBytes(5 * C + 9);
    const { ciphertext, digest } = await encrypt(plaintext);
    const options = { key, size: digest.size, chunkBytes: C, leaves: digest.leaves };
    const out = join(dir, 'out.bin');
    const bad = Buffer.from(ciphertext);
    bad[3 * C + 1]! ^= 1;
    await expect(decryptToFile(Readable.from(pieces(bad, 3000)), out, options)).rejects.toMatchObject({
      code: 'INTEGRITY_FAILED',
    });
    expect(readdirSync(dir)).toEqual([]);

    const broken = new Readable({ read() {} });
    broken.push(ciphertext.subarray(0, 2 * C));
    setTimeout(() => broken.destroy(new Error('connection reset')), 20);
    await expect(decryptToFile(broken, out, options)).rejects.toThrow('connection reset');
    expect(readdirSync(dir)).toEqual([]);

    const source = Readable.from(pieces(ciphertext, 3000));
    await expect(decryptToFile(source, out, { ...options, leaves: digest.leaves.slice(1) })).rejects.toMatchObject({
      code: 'INTEGRITY_FAILED',
    });
    expect(source.destroyed).toBe(true);
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('checkedLeaves', () => {
  it("accepts the stored leaves of the file's root and layout, refuses any other (INTEGRITY_FAILED)", async () => {
    const { digest } = await encrypt(randomBytes(3 * C + 1));
    const stored = Buffer.concat(digest.leaves);
    const expected = { root: digest.root, size: digest.size, chunkBytes: C };
    expect(checkedLeaves(stored, expected).map((l) => Buffer.from(l).toString('hex'))).toEqual(
      digest.leaves.map((l) => Buffer.from(l).toString('hex')),
    );
    const altered = Buffer.from(stored);
    altered[40]! ^= 1;
    const swapped = Buffer.concat([stored.subarray(32, 64), stored.subarray(0, 32), stored.subarray(64)]);
    for (const bad of [
      altered,
      swapped,
      stored.subarray(0, 96),
      Buffer.concat([stored, stored.subarray(0, 32)]),
      stored.subarray(1),
    ]) {
      expect(() => checkedLeaves(bad, expected)).toThrow(expect.objectContaining({ code: 'INTEGRITY_FAILED' }));
    }
    expect(() => checkedLeaves(stored, { ...expected, size: digest.size + C })).toThrow(
      expect.objectContaining({ code: 'INTEGRITY_FAILED' }),
    );
  });
});
