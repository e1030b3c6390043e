// SPDX-License-Identifier: Apache-2.0
import { toBase64, utf8 } from '@medshare/crypto/bytes';
import { seal } from '@medshare/crypto/sealed-box';
import type { ServerResponse } from 'node:http';
import {
  canonicalize,
  compareEventPositions,
  eventAad,
  fail,
  AUDIT_EVENT_NAME,
  type EventPosition,
} from '@medshare/protocol';
import type { Session } from '../session/session-store';
import { delivered, type EventLog, type LoggedEvent } from './event-log';

export interface EventStreamsOptions {
  readonly streamsPerApp: number;
  /** Interval of `: heartbeat` comments (and of the session-expiry check), ms. */
  readonly heartbeatMs: number;
  readonly clock?: () => number;
}

export interface OpenStream {
  readonly session: Session;
  /** The subscriber: only events about records this key owns are sent. */
  readonly keyId: string;
  readonly after: EventPosition | undefined;
  /** false: send what is logged, then end; true: keep sending new events until closed. */
  readonly follow: boolean;
  readonly response: ServerResponse;
}

/** A client that stops reading is dropped (it resumes from its last event id) rather than buffered for without bound. */
const MAX_BUFFERED_BYTES = 1024 * 1024;

/**
 * Open server-sent-event streams: the owner's events from the event log, each sealed under the
 * session key, bounded per app, with heartbeat comments, ended when the session expires, when
 * the client lags too far behind, and all at once on shutdown.
 */
export class EventStreams {
  readonly #log: EventLog;
  readonly #options: EventStreamsOptions;
  readonly #clock: () => number;
  readonly #perApp = new Map<string, number>();
  readonly #open = new Set<() => void>();

  constructor(log: EventLog, options: EventStreamsOptions) {
    this.#log = log;
    this.#options = options;
    this.#clock = options.clock ?? Date.now;
  }

  get log(): EventLog {
    return this.#log;
  }

  get size(): number {
    return this.#open.size;
  }

  /** Refuses a resume point before the log's horizon or too many streams for the app, before any byte is sent. */
  check(appId: string, after: EventPosition | undefined): void {
    this.#log.assertResumable(after);
    const count = this.#perApp.get(appId) ?? 0;
    if (count >= this.#options.streamsPerApp)
      throw fail('STREAM_LIMIT', `app ${appId} has ${count} open event streams (limit ${this.#options.streamsPerApp})`);
  }

  /**
   * Starts a stream on a response the caller has taken over (Fastify `reply.hijack()`). Events
   * are pumped from the log by cursor with backpressure: when the socket's buffer is full the
   * pump waits for it to drain, so a large backlog or a slow client holds a position in the log,
   * not memory. A client so slow that compaction passes its position is disconnected (it
   * resumes with its last id, and learns with EVENT_ID_EXPIRED that events were dropped).
   */
  open(stream: OpenStream): void {
    const { session, keyId, response } = stream;
    const appId = session.appId;
    this.check(appId, stream.after);
    this.#perApp.set(appId, (this.#perApp.get(appId) ?? 0) + 1);
    /** The newest log position this stream has passed (sent, or skipped as another owner's). */
    let cursor = stream.after;
    let closed = false;
    // Read through a call: the callbacks below change it, which flow analysis cannot see.
    const isClosed = (): boolean => closed;
    let waitingForDrain = false;
    const timers: NodeJS.Timeout[] = [];
    let unsubscribe = (): void => undefined;
    const close = (): void => {
      if (closed) return;
      closed = true;
      unsubscribe();
      for (const timer of timers) clearInterval(timer);
      this.#open.delete(close);
      this.#perApp.set(appId, (this.#perApp.get(appId) ?? 1) - 1);
      if (!response.writableEnded) response.end();
    };
    const write = (text: string): void => {
      if (closed) return;
      response.write(text);
      // Heartbeats are the only writes outside the pump; a client that never reads is dropped.
      if (response.writableLength > MAX_BUFFERED_BYTES) {
        close();
        response.destroy();
      }
    };
    const send = (entry: LoggedEvent): void => {
      const sealed = seal(session.key, utf8(canonicalize(delivered(entry))), eventAad(session.sessionId, entry.id));
      write(`id: ${entry.id}\nevent: ${AUDIT_EVENT_NAME}\ndata: ${toBase64(sealed)}\n\n`);
    };
    const pump = (): void => {
      if (closed || waitingForDrain) return;
      const horizon = this.#log.horizonPosition;
      if (cursor && horizon && compareEventPositions(cursor, horizon) < 0) {
        close();
        return;
      }
      for (const entry of this.#log.after(cursor)) {
        cursor = entry.position;
        if (entry.event.owner !== keyId) continue;
        send(entry);
        if (isClosed()) return;
        if (response.writableNeedDrain) {
          waitingForDrain = true;
          response.once('drain', () => {
            waitingForDrain = false;
            pump();
          });
          return;
        }
      }
      if (!stream.follow) close();
    };

    this.#open.add(close);
    response.on('close', close);
    response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    write(': medshare events\n\n');
    // New events nudge the pump, which reads from its cursor: nothing is missed or sent twice.
    if (stream.follow) unsubscribe = this.#log.onAppend(pump);
    pump();
    if (!stream.follow || isClosed()) return;
    const expiresIn = session.expiresAt - this.#clock();
    if (expiresIn <= 0) {
      close();
      return;
    }
    const expiry = setTimeout(close, expiresIn);
    const heartbeat = setInterval(() => {
      if (this.#clock() >= session.expiresAt) close();
      else write(': heartbeat\n\n');
    }, this.#options.heartbeatMs);
    expiry.unref();
    heartbeat.unref();
    timers.push(expiry, heartbeat);
  }

  /** Ends every open stream (shutdown): clients see a clean end and resume elsewhere or later. */
  closeAll(): void {
    for (const close of [...this.#open]) close();
  }
}
