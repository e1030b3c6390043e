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

/** JSON over HTTPS with keep-alive; a non-2xx answer becomes the MedshareError it carries. */
export interface Transport {
  post(path: string, body: unknown): Promise<unknown>;
  get(path: string): Promise<unknown>;
  close(): void;
}

/**
 * The SDK's timeout for one HTTP request. It sits above the gateway's request timeout (30 s by
 * default, config.limits.requestTimeoutMs), which sits above the gateway's Fabric deadlines, so
 * the gateway always answers (or gives up) before the SDK stops waiting.
 */
export const DEFAULT_TIMEOUT_MS = 35_000;

const TX_ID = /^[0-9a-f]{64}$/;

/** The MedshareError a gateway's JSON error body `{code, message, txId?}` stands for. */
export function errorFromBody(status: number, body: unknown): MedshareError {
  const e = body as { code?: unknown; message?: unknown; txId?: unknown } | undefined;
  const code = isErrorCode(e?.code) ? e.code : 'INTERNAL';
  const txId = typeof e?.txId === 'string' && TX_ID.test(e.txId) ? e.txId : undefined;
  return new MedshareError({ code, message: typeof e?.message === 'string' ? e.message : `HTTP ${status}`, ...(txId ? { context: { txId } } : {}) });
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
  const timeout = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
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
              reject(errorFromBody(res.statusCode ?? 500, parsed));
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
  return {
    post: (path, body) => send('POST', path, body),
    get: (path) => send('GET', path),
    close: () => agent.destroy(),
  };
}
