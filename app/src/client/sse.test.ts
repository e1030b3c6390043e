// SPDX-License-Identifier: Apache-2.0
import { parseSse, type SseMessage } from './sse';

async function parse(chunks: string[]): Promise<SseMessage[]> {
  async function* source(): AsyncGenerator<string> {
    for (const c of chunks) yield await Promise.resolve(c);
  }
  const out: SseMessage[] = [];
  for await (const m of parseSse(source())) out.push(m);
  return out;
}

describe('the event-stream parser (WHATWG server-sent events)', () => {
  it('dispatches on blank lines, skips comments, keeps the last id, joins data lines', async () => {
    expect(
      await parse([': hello\n\nid: 1-0\nevent: medshare.audit\ndata: a\ndata: b\n\n: heartbeat\n\ndata: c\n\n']),
    ).toEqual([
      { id: '1-0', event: 'medshare.audit', data: 'a\nb' },
      { id: '1-0', event: 'message', data: 'c' },
    ]);
  });

  it('handles CRLF and CR line ends and fields split across chunks, including a CRLF split in two', async () => {
    expect(await parse(['id: 2', '-1\r', '\nevent:x\r\nda', 'ta:y\r', '\r', 'id: 3-0\rdata: z\r\r'])).toEqual([
      { id: '2-1', event: 'x', data: 'y' },
      { id: '3-0', event: 'message', data: 'z' },
    ]);
  });

  it('drops a message with no data and an unterminated last message', async () => {
    expect(await parse(['id: 1-0\nevent: e\n\ndata: cut'])).toEqual([]);
  });

  it('refuses an endless line instead of buffering it', async () => {
    async function* endless(): AsyncGenerator<string> {
      for (let i = 0; i < 10; i++) yield await Promise.resolve('x'.repeat(100));
    }
    const run = async (): Promise<void> => {
      for await (const m of parseSse(endless(), 500)) expect(m).toBeUndefined();
    };
    await expect(run()).rejects.toThrow(RangeError);
  });
});
