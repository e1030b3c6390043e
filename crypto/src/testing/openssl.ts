// SPDX-License-Identifier: Apache-2.0
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { concatBytes, fromHex, toHex } from '../bytes';

/** Runs the `openssl` CLI in a scratch folder; the files map is written first, `out` read after. */
export function openssl(args: readonly string[], files: Record<string, Uint8Array | string>, out?: string): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), 'medshare-openssl-'));
  try {
    for (const [name, data] of Object.entries(files)) writeFileSync(join(dir, name), data);
    const stdout = execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    return new Uint8Array(out ? readFileSync(join(dir, out)) : stdout);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function derLength(n: number): Uint8Array {
  return n < 0x80 ? Uint8Array.of(n) : n < 0x100 ? Uint8Array.of(0x81, n) : Uint8Array.of(0x82, n >> 8, n & 0xff);
}
function tlv(tag: number, body: Uint8Array): Uint8Array {
  return concatBytes(Uint8Array.of(tag), derLength(body.length), body);
}
function derInteger(bytes: Uint8Array): Uint8Array {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  let body = bytes.subarray(i);
  if ((body[0] ?? 0) & 0x80) body = concatBytes(Uint8Array.of(0), body);
  return tlv(0x02, body);
}

/** C1 ‖ C3 ‖ C2 → GM/T 0009-2012 §7.2 `SEQUENCE { x INTEGER, y INTEGER, hash OCTET STRING, ciphertext OCTET STRING }` (OpenSSL's form). */
export function sm2CiphertextToAsn1(raw: Uint8Array): Uint8Array {
  const x = raw.subarray(1, 33);
  const y = raw.subarray(33, 65);
  const c3 = raw.subarray(65, 97);
  const c2 = raw.subarray(97);
  return tlv(0x30, concatBytes(derInteger(x), derInteger(y), tlv(0x04, c3), tlv(0x04, c2)));
}

/** Reads DER TLVs one level deep (test helper: inputs come from OpenSSL). */
function readAll(bytes: Uint8Array): Uint8Array[] {
  const parts: Uint8Array[] = [];
  for (let o = 0; o < bytes.length;) {
    let length = bytes[o + 1] ?? 0;
    let start = o + 2;
    if (length & 0x80) {
      const count = length & 0x7f;
      length = 0;
      for (let i = 0; i < count; i++) length = (length << 8) | (bytes[start + i] ?? 0);
      start += count;
    }
    parts.push(bytes.subarray(start, start + length));
    o = start + length;
  }
  return parts;
}

export function sm2CiphertextFromAsn1(der: Uint8Array): Uint8Array {
  const [sequence] = readAll(der);
  if (der[0] !== 0x30 || !sequence) throw new Error('not a SEQUENCE');
  const [x, y, c3, c2] = readAll(sequence);
  if (!x || !y || !c3 || !c2) throw new Error('SM2 ciphertext SEQUENCE must have four fields');
  const pad = (b: Uint8Array): Uint8Array =>
    fromHex(toHex(b.length > 32 ? b.subarray(b.length - 32) : b).padStart(64, '0'));
  return concatBytes(Uint8Array.of(4), pad(x), pad(y), c3, c2);
}
