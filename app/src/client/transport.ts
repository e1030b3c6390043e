import type { IncomingMessage } from 'node:http';
import { Agent, request as httpsRequest } from 'node:https';
import { fail, isErrorCode, MedshareError } from '@medshare/protocol';

export interface TransportOptions {
  readonly baseUrl: string;
  /** PEM of the gateway's TLS CA (a self-signed certificate in development). */
  readonly ca?: string | Buffer;
  /** Source address to bind (claim 9 tests bind 127.0.0.2). */
  readonly localAddress?: string;
  readonly timeoutMs?: number;
  /** Headers sent with every request (the admin API's bearer token). */
  readonly headers?: Readonly<Record<string, string>>;
}

/** A long-lived response body as text chunks (an event stream); close() drops the connection. */
export interface TextStream extends AsyncIterable<string> {
  close(): void;
}

/** JSON over HTTPS with keep-alive; a non-2xx answer becomes the MedshareError it carries. */
export interface Transport {
  post(path: string, body: unknown): Promise<unknown>;
  get(path: string): Promise<unknown>;
  /** GET of a text/event-stream: resolves once the answer's status is known; a non-2xx is the MedshareError it carries. */
  stream(path: string, headers: Readonly<Record<string, string>>): Promise<TextStream>;
  close(): void;
}

/** The MedshareError a gateway's JSON error body carries. */
export function errorFromBody(status: number, text: string): MedshareError {
  let e: { code?: unknown; message?: unknown } | undefined;
  try {
    e = text ? (JSON.parse(text) as typeof e) : undefined;
  } catch {
    return fail('INTERNAL', `gateway answered ${status} with non-JSON`);
  }
  const code = isErrorCode(e?.code) ? e.code : 'INTERNAL';
  return new MedshareError({ code, message: typeof e?.message === 'string' ? e.message : `HTTP ${status}` });
}

/** A Node response body as a TextStream. */
export function textStream(res: IncomingMessage, abort: () => void): TextStream {
  res.setEncoding('utf8');
  return {
    close: abort,
    async *[Symbol.asyncIterator]() {
      try {
        for await (const chunk of res) yield chunk as string;
      } catch (error) {
        // A connection closed by us (close()) or by the server ends the stream; nothing to report.
        if ((error as NodeJS.ErrnoException).code !== 'ECONNRESET' && (error as Error).name !== 'AbortError') throw error;
      }
    },
  };
}

export function httpsTransport(options: TransportOptions): Transport {
  const base = new URL(options.baseUrl);
  if (base.protocol !== 'https:') throw fail('INVALID_INPUT', 'gateway URL must be https');
  const agent = new Agent({
    keepAlive: true,
    maxSockets: 64,
    ...(options.ca ? { ca: options.ca } : {}),
    ...(options.localAddress ? { localAddress: options.localAddress } : {}),
  });
  const timeout = options.timeoutMs ?? 30_000;
  const send = (method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> =>
    new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
      const req = httpsRequest(
        new URL(path, base),
        {
          method,
          agent,
          timeout,
          headers: {
            ...options.headers,
            accept: 'application/json',
            ...(payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown;
            try {
              parsed = text ? JSON.parse(text) : undefined;
            } catch {
              reject(fail('INTERNAL', `gateway answered ${res.statusCode ?? 0} with non-JSON`));
              return;
            }
            if ((res.statusCode ?? 500) >= 400) {
              const e = parsed as { code?: unknown; message?: unknown } | undefined;
              const code = isErrorCode(e?.code) ? e.code : 'INTERNAL';
              reject(new MedshareError({ code, message: typeof e?.message === 'string' ? e.message : `HTTP ${res.statusCode ?? 0}` }));
              return;
            }
            resolve(parsed);
          });
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(fail('LEDGER_UNAVAILABLE', `gateway did not answer within ${timeout} ms`)));
      req.on('error', (error) =>
        reject(error instanceof MedshareError ? error : fail('LEDGER_UNAVAILABLE', `cannot reach the gateway: ${error.message}`, error)),
      );
      if (payload) req.write(payload);
      req.end();
    });
  const stream = (path: string, headers: Readonly<Record<string, string>>): Promise<TextStream> =>
    new Promise((resolve, reject) => {
      // Its own connection (no keep-alive agent): the stream lives as long as the caller reads it.
      const req = httpsRequest(
        new URL(path, base),
        {
          method: 'GET',
          ...(options.ca ? { ca: options.ca } : {}),
          ...(options.localAddress ? { localAddress: options.localAddress } : {}),
          headers: { ...options.headers, ...headers, accept: 'text/event-stream' },
        },
        (res) => {
          if ((res.statusCode ?? 500) >= 400) {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => reject(errorFromBody(res.statusCode ?? 500, Buffer.concat(chunks).toString('utf8'))));
            return;
          }
          resolve(textStream(res, () => req.destroy()));
        },
      );
      req.setTimeout(timeout, () => req.destroy(fail('LEDGER_UNAVAILABLE', `gateway did not answer within ${timeout} ms`)));
      req.on('response', () => req.setTimeout(0));
      req.on('error', (error) =>
        reject(error instanceof MedshareError ? error : fail('LEDGER_UNAVAILABLE', `cannot reach the gateway: ${error.message}`, error)),
      );
      req.end();
    });
  return {
    post: (path, body) => send('POST', path, body),
    get: (path) => send('GET', path),
    stream,
    close: () => agent.destroy(),
  };
}
