// SPDX-License-Identifier: Apache-2.0
/** One server-sent event (WHATWG HTML, "Server-sent events", §9.2.6 interpreting an event stream). */
export interface SseMessage {
  readonly id: string | undefined;
  readonly event: string;
  readonly data: string;
}

/**
 * Parses an event stream's text chunks into messages: lines end with CRLF, LF or CR; `:` lines
 * are comments (heartbeats); a blank line dispatches the fields gathered since the last one;
 * `data` lines are joined with LF; a message with no data is not dispatched. Lines longer than
 * `maxLine` characters end the stream with an error rather than buffering without bound.
 */
export async function* parseSse(chunks: AsyncIterable<string>, maxLine = 1024 * 1024): AsyncGenerator<SseMessage> {
  let buffer = '';
  let id: string | undefined;
  let event = '';
  let data: string[] = [];
  /** One line; returns the message a blank line dispatches. */
  const line = (text: string): SseMessage | undefined => {
    if (text === '') {
      const message = data.length > 0 ? { id, event: event || 'message', data: data.join('\n') } : undefined;
      event = '';
      data = [];
      return message;
    }
    if (text.startsWith(':')) return undefined;
    const colon = text.indexOf(':');
    const field = colon === -1 ? text : text.slice(0, colon);
    let value = colon === -1 ? '' : text.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') data.push(value);
    else if (field === 'event') event = value;
    else if (field === 'id' && !value.includes('\u0000')) id = value;
    return undefined;
  };
  for await (const chunk of chunks) {
    buffer += chunk;
    for (;;) {
      const match = /\r\n|\r|\n/.exec(buffer);
      if (!match) break;
      // A CR at the very end may be the first half of a CRLF split across chunks: wait for more.
      if (match[0] === '\r' && match.index === buffer.length - 1) break;
      const message = line(buffer.slice(0, match.index));
      buffer = buffer.slice(match.index + match[0].length);
      if (message) yield message;
    }
    if (buffer.length > maxLine) throw new RangeError(`event stream line longer than ${maxLine} characters`);
  }
  // The stream ended after a CR it held back: that CR ended a line.
  if (buffer.endsWith('\r')) {
    const message = line(buffer.slice(0, -1));
    if (message) yield message;
  }
}
