// SPDX-License-Identifier: Apache-2.0
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { Agent, request as httpsRequest } from 'node:https';
import { fail, isErrorCode, MedshareError } from '@medshare/protocol';

export interface TransportOptions {
  readonly baseUrl: string;
  /** PEM of the gateway's TLS CA (a self-signed certificate in development). */
  readonly ca?: string | Buffer;
  /** Source address to bind (claim 9 tests bind 127.0.0.2). */
  readonly localAddress?: string;
  readonly timeoutMs?: number;
  /** How long a keep-alive socket may sit unused in the pool; keep it below the gateway's keepAliveTimeout. */
  readonly idleSocketTimeoutMs?: number;
  /** Headers sent with every request (the admin API's bearer token). */
  readonly headers?: Readonly<Record<string, string>>;
}

/** A long-lived response body as text chunks (an event stream); close() drops the connection. */
export interface TextStream extends AsyncIterable<string> {
  close(): void;
}

/** JSON over HTTPS with keep-alive; a non-2xx answer becomes the MedshareError it carries. */
export interface Transport {
  /** `headers` are sent with this request only (the session header of a sealed request). */
  post(path: string, body: unknown, headers?: Readonly<Record<string, string>>): Promise<unknown>;
  /** `headers` are sent with this request only (a bearer token). */
  get(path: string, headers?: Readonly<Record<string, string>>): Promise<unknown>;
  /** GET of a text/event-stream: resolves once the answer's status is known; a non-2xx is the MedshareError it carries. */
  stream(path: string, headers: Readonly<Record<string, string>>): Promise<TextStream>;
  /** PUT of a binary body of `size` bytes (a large file's ciphertext), answered with JSON. */
  upload?(path: string, body: Readable, size: number, headers: Readonly<Record<string, string>>): Promise<unknown>;
  /** GET of a binary body: resolves with the body stream once the status is known (2xx), else the MedshareError. */
  download?(path: string, headers: Readonly<Record<string, string>>): Promise<Readable>;
  close(): void;
}

/**
 * The SDK's timeout for one HTTP request. It sits above the gateway's request timeout (30 s by
 * default, config.limits.requestTimeoutMs), which sits above the gateway's Fabric deadlines, so
 * the gateway always answers (or gives up) before the SDK stops waiting.
 */
export const DEFAULT_TIMEOUT_MS = 35_000;

/**
 * How long a keep-alive socket may sit idle in the SDK's pool: below the gateway's
 * keepAliveTimeout (5 s), so the SDK drops a socket before the server closes it, and a request
 * is not written into a socket the server is closing.
 */
export const IDLE_SOCKET_TIMEOUT_MS = 4_000;

const TX_ID = /^[0-9a-f]{64}$/;

/** The MedshareError a gateway's JSON error body `{code, message, txId?}` stands for. */
export function errorFromBody(status: number, body: unknown): MedshareError {
  const e = body as { code?: unknown; message?: unknown; txId?: unknown } | undefined;
  const code = isErrorCode(e?.code) ? e.code : 'INTERNAL';
  const txId = typeof e?.txId === 'string' && TX_ID.test(e.txId) ? e.txId : undefined;
  return new MedshareError({
    code,
    message: typeof e?.message === 'string' ? e.message : `HTTP ${status}`,
    ...(txId ? { context: { txId } } : {}),
  });
}

/** How far a request got: sent (fully written), answered (a response began), timed out. */
interface Progress {
  sent: boolean;
  answered: boolean;
  timedOut: boolean;
}

/**
 * A request that got no answer. If it never left, nothing happened (LEDGER_UNAVAILABLE, as the
 * ledger behind the gateway is out of reach). If a POST was sent, the gateway may have carried
 * it out: OUTCOME_UNKNOWN, which the client turns back into LEDGER_UNAVAILABLE for requests that
 * cannot write. A GET writes nothing.
 */
function noAnswer(method: 'GET' | 'POST', progress: Progress, what: string, cause?: unknown): MedshareError {
  if (method === 'POST' && progress.sent)
    return fail('OUTCOME_UNKNOWN', `${what} after the request was sent; it may have been carried out`, cause);
  return fail('LEDGER_UNAVAILABLE', what, cause);
}

/** A failed attempt, and whether it may be sent once more. */
class AttemptFailure extends Error {
  constructor(
    readonly error: unknown,
    readonly onReusedSocketBeforeAnswer: boolean,
  ) {
    super('attempt failed', { cause: error });
    this.name = 'AttemptFailure';
  }
}

/** An error body's JSON, or undefined when it is not JSON (errorFromBody then says INTERNAL). */
function parseBody(text: string): unknown {
  try {
    return text ? (JSON.parse(text) as unknown) : undefined;
  } catch {
    return undefined;
  }
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
        if ((error as NodeJS.ErrnoException).code !== 'ECONNRESET' && (error as Error).name !== 'AbortError')
          throw error;
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
    // Node applies the agent's timeout to sockets waiting in the pool (Agent#keepSocketAlive)
    // and closes them when it fires; a request in flight sets its own, longer timeout.
    timeout: options.idleSocketTimeoutMs ?? IDLE_SOCKET_TIMEOUT_MS,
    ...(options.ca ? { ca: options.ca } : {}),
    ...(options.localAddress ? { localAddress: options.localAddress } : {}),
  });
  const timeout = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;

  // The one retry goes out on a socket of its own, never on another pooled one.
  const freshSocket = {
    agent: false as const,
    ...(options.ca ? { ca: options.ca } : {}),
    ...(options.localAddress ? { localAddress: options.localAddress } : {}),
  };
  const attempt = (
    method: 'GET' | 'POST',
    path: string,
    payload: Buffer | undefined,
    fresh: boolean,
    extra: Readonly<Record<string, string>> | undefined,
  ): Promise<unknown> =>
    new Promise((resolve, reject) => {
      const progress: Progress = { sent: false, answered: false, timedOut: false };
      const req = httpsRequest(
        new URL(path, base),
        {
          method,
          ...(fresh ? freshSocket : { agent }),
          timeout,
          headers: {
            ...options.headers,
            ...extra,
            accept: 'application/json',
            ...(payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {}),
          },
        },
        (res) => {
          progress.answered = true;
          readAnswer(res).then(resolve, (error: unknown) => reject(new AttemptFailure(error, false)));
        },
      );
      req.on('finish', () => {
        progress.sent = true;
      });
      req.on('timeout', () => {
        progress.timedOut = true;
        req.destroy(noAnswer(method, progress, `gateway did not answer within ${timeout} ms`));
      });
      req.on('error', (error) => {
        const coded =
          error instanceof MedshareError
            ? error
            : noAnswer(method, progress, `cannot reach the gateway: ${error.message}`, error);
        reject(new AttemptFailure(coded, req.reusedSocket && !progress.answered && !progress.timedOut));
      });
      if (payload) req.write(payload);
      req.end();
    });

  const send = async (
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
    extra?: Readonly<Record<string, string>>,
  ): Promise<unknown> => {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    let first: AttemptFailure | undefined;
    for (let tries = 0; ; tries++) {
      try {
        return await attempt(method, path, payload, tries > 0, extra);
      } catch (failure) {
        if (!(failure instanceof AttemptFailure)) throw failure;
        // A kept-alive socket the server closed as it was reused fails before any byte of an
        // answer: the server most likely did not take the request, so it is sent once more, on
        // a new socket. Were it read after all, a repeated sealed request is refused as
        // NONCE_REPLAYED, never carried out twice.
        if (failure.onReusedSocketBeforeAnswer && tries === 0) {
          first = failure;
          continue;
        }
        // If the first attempt was fully sent, it may have been carried out: whatever the
        // retry met, the outcome stays unknown (never "nothing was written").
        if (first && first.error instanceof MedshareError && first.error.code === 'OUTCOME_UNKNOWN') throw first.error;
        throw failure.error;
      }
    }
  };

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
            res.on('end', () =>
              reject(errorFromBody(res.statusCode ?? 500, parseBody(Buffer.concat(chunks).toString('utf8')))),
            );
            return;
          }
          resolve(textStream(res, () => req.destroy()));
        },
      );
      req.setTimeout(timeout, () =>
        req.destroy(fail('LEDGER_UNAVAILABLE', `gateway did not answer within ${timeout} ms`)),
      );
      req.on('response', () => req.setTimeout(0));
      req.on('error', (error) =>
        reject(
          error instanceof MedshareError
            ? error
            : fail('LEDGER_UNAVAILABLE', `cannot reach the gateway: ${error.message}`, error),
        ),
      );
      req.end();
    });
  const tls = {
    ...(options.ca ? { ca: options.ca } : {}),
    ...(options.localAddress ? { localAddress: options.localAddress } : {}),
  };
  // Large bodies get their own connection and no overall timeout: only a stalled socket times out.
  const upload = (
    path: string,
    body: Readable,
    size: number,
    headers: Readonly<Record<string, string>>,
  ): Promise<unknown> =>
    new Promise((resolve, reject) => {
      const req = httpsRequest(
        new URL(path, base),
        {
          method: 'PUT',
          ...tls,
          headers: {
            ...options.headers,
            ...headers,
            accept: 'application/json',
            'content-type': 'application/octet-stream',
            'content-length': size,
          },
        },
        (res) => {
          readAnswer(res).then(resolve, reject);
        },
      );
      req.setTimeout(timeout, () => req.destroy(fail('OUTCOME_UNKNOWN', `the upload stalled for ${timeout} ms`)));
      req.on('error', (error) =>
        reject(
          error instanceof MedshareError ? error : fail('LEDGER_UNAVAILABLE', `upload failed: ${error.message}`, error),
        ),
      );
      body.on('error', (error) => req.destroy(error));
      body.pipe(req);
    });
  const download = (path: string, headers: Readonly<Record<string, string>>): Promise<Readable> =>
    new Promise((resolve, reject) => {
      const req = httpsRequest(
        new URL(path, base),
        { method: 'GET', ...tls, headers: { ...options.headers, ...headers, accept: 'application/octet-stream' } },
        (res) => {
          if ((res.statusCode ?? 500) >= 400) {
            readAnswer(res).then(() => reject(fail('INTERNAL', 'error without a body')), reject);
            return;
          }
          resolve(res);
        },
      );
      req.setTimeout(timeout, () => req.destroy(fail('LEDGER_UNAVAILABLE', `the download stalled for ${timeout} ms`)));
      req.on('error', (error) =>
        reject(
          error instanceof MedshareError
            ? error
            : fail('LEDGER_UNAVAILABLE', `download failed: ${error.message}`, error),
        ),
      );
      req.end();
    });
  return {
    upload,
    download,
    post: (path, body, headers) => send('POST', path, body, headers),
    get: (path, headers) => send('GET', path, undefined, headers),
    stream,
    close: () => agent.destroy(),
  };
}

function readAnswer(res: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('error', reject);
    res.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let parsed: unknown;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        reject(fail('INTERNAL', `gateway answered ${res.statusCode ?? 0} with non-JSON`));
        return;
      }
      if ((res.statusCode ?? 500) >= 400) reject(errorFromBody(res.statusCode ?? 500, parsed));
      else resolve(parsed);
    });
  });
}
