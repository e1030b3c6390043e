// SPDX-License-Identifier: Apache-2.0
import type { FileProgress, MedshareClient, ResumeEvent, UserKey } from '../../index';
import { defineCommand, type Io, type Printed } from '../command';
import { userKey } from '../needs';
import { int, need, UsageError, type Values } from '../options';

type Run = (client: MedshareClient, user: UserKey, io: Io) => Promise<Printed>;

/**
 * Progress on stderr: a percentage line on a terminal, JSON events (one line each, every 5 %)
 * with --json; stdout keeps the one result.
 */
function progress(values: Values, io: Io): ((p: FileProgress) => void) | undefined {
  const tty = process.stderr.isTTY;
  if (!tty && !values.json) return undefined;
  let shown = -1;
  return (p) => {
    const percent = p.total === 0 ? 100 : Math.floor((p.bytes / p.total) * 100);
    // A terminal line per percent; a JSON event per 5 % step crossed (and at 100 %).
    const step = tty ? percent : Math.floor(percent / 5);
    if (step === shown) return;
    shown = step;
    if (tty) io.err(`\r${p.phase} ${percent}% (${p.bytes} of ${p.total} bytes)${percent === 100 ? '\n' : ''}`);
    else io.err(`${JSON.stringify({ event: 'progress', ...p })}\n`);
  };
}

/** A resumed upload is always said on stderr: `resumed at N MiB`, or a JSON event with --json. */
function resumed(values: Values, io: Io): (r: ResumeEvent) => void {
  return (r) => {
    if (values.json) io.err(`${JSON.stringify({ event: 'resume', ...r })}\n`);
    else
      io.err(
        `${process.stderr.isTTY ? '\n' : ''}resumed at ${(r.offset / 2 ** 20).toFixed(1)} MiB (attempt ${r.attempt})\n`,
      );
  };
}

function fileId(positionals: readonly string[], verb: string): string {
  const id = positionals[1];
  if (!id || !/^[0-9a-f]{64}$/.test(id)) throw new UsageError(`file ${verb} needs a FILE_ID (64 hex)`);
  return id;
}

function upload(values: Values): Run {
  const path = need(values, 'file');
  const chunkBytes = values['chunk-bytes'] === undefined ? undefined : int(values['chunk-bytes'], 'chunk-bytes');
  return async (client, user, io) => {
    const r = await client.uploadFile(user, path, {
      ...(values['media-type'] ? { mediaType: values['media-type'] } : {}),
      ...(chunkBytes === undefined ? {} : { chunkBytes }),
      ...(progress(values, io) ? { onProgress: progress(values, io) } : {}),
      onResume: resumed(values, io),
    });
    return { data: r, text: `uploaded file ${r.fileId}\n  ${r.size} bytes in ${r.chunks} chunks, root ${r.root}` };
  };
}

function share(values: Values, positionals: readonly string[]): Run {
  const id = fileId(positionals, 'share');
  const to = need(values, 'to');
  const threshold = int(values.threshold, 'threshold', 2);
  return async (client, user) => {
    const r = await client.shareFile(user, id, to, { threshold });
    return {
      data: r,
      text: `shared file ${r.fileId} with ${r.receiverKeyId} (${r.threshold}-of-n, share ${r.shareId})`,
    };
  };
}

function revoke(values: Values, positionals: readonly string[]): Run {
  const id = fileId(positionals, 'revoke');
  const to = need(values, 'to');
  return async (client, user) => {
    const r = await client.revokeFile(user, id, to);
    return { data: r, text: `revoked ${r.receiverKeyId} from file ${r.fileId}` };
  };
}

function download(values: Values, positionals: readonly string[]): Run {
  const id = fileId(positionals, 'download');
  const out = need(values, 'out');
  return async (client, user, io) => {
    const onProgress = progress(values, io);
    const r = await client.downloadFile(user, id, out, onProgress ? { onProgress } : {});
    return { data: r, text: `downloaded file ${r.fileId} to ${out} (${r.size} bytes, every chunk checked)` };
  };
}

function list(values: Values): Run {
  return async (client, user) => {
    if (values.shared) {
      const r = await client.listSharedFiles(user);
      return {
        data: r,
        text: r.items
          .map((i) => `${i.fileId}  ${i.threshold}-of-n  shared ${new Date(i.sharedAt).toISOString()}`)
          .join('\n'),
      };
    }
    const r = await client.listFiles(user);
    return {
      data: r,
      text: r.items.map((i) => `${i.fileId}  ${i.mediaType}  ${i.size} bytes`).join('\n'),
    };
  };
}

export const file = defineCommand({
  name: 'file',
  usage: [
    { synopsis: 'upload --key FILE --file PATH [--media-type T] [--chunk-bytes N]' },
    { synopsis: 'share FILE_ID --key FILE --to KEYID [--threshold T]' },
    { synopsis: 'revoke FILE_ID --key FILE --to KEYID' },
    { synopsis: 'download FILE_ID --key FILE --out PATH', summary: 'verified chunk by chunk' },
    { synopsis: 'list --key FILE [--shared]' },
  ],
  needs: userKey,
  parse({ values, positionals }): Run {
    switch (positionals[0]) {
      case 'upload':
        return upload(values);
      case 'share':
        return share(values, positionals);
      case 'revoke':
        return revoke(values, positionals);
      case 'download':
        return download(values, positionals);
      case 'list':
        return list(values);
      default:
        throw new UsageError('file needs one of upload, share, revoke, download, list');
    }
  },
  run: (verb, { client, user }, io) => verb(client, user, io),
  print: (r) => r,
});
