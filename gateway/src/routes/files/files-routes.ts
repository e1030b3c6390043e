// SPDX-License-Identifier: Apache-2.0
import type { Readable } from 'node:stream';
import { fail, parseSealedMessage } from '@medshare/protocol';
import type { FastifyRequest } from 'fastify';
import type { FileService } from '../../files/file-service';
import { watchUpload } from '../../plugins/request-timeouts';
import { ERRORS, SMALL_BODY_BYTES } from '../route-limits';
import { sealedSchema } from '../schemas';
import type { RoutePlugin } from '../type-provider';

export interface FileRouteOptions {
  readonly files: FileService;
}

const hex64 = { type: 'string', pattern: '^[0-9a-f]{64}$' } as const;
const FILE_ERRORS = ERRORS;

const bearerHeaders = {
  type: 'object',
  properties: {
    authorization: { type: 'string', description: 'Bearer <token the gateway issued>' },
    range: { type: 'string', description: 'bytes=START- or bytes=START-END (RFC 9110 §14.2), one range' },
  },
} as const;

const uploadHeaders = {
  type: 'object',
  properties: {
    authorization: { type: 'string', description: 'Bearer <upload token>' },
    'upload-offset': {
      type: 'string',
      pattern: '^(0|[1-9][0-9]{0,14})$',
      description: "where this body starts in the upload: the offset GET answered (default 0, a new upload's start)",
    },
  },
} as const;

const uploadParams = {
  type: 'object',
  additionalProperties: false,
  required: ['uploadId'],
  properties: { uploadId: hex64 },
} as const;

const stagedSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['size', 'root', 'chunks'],
  properties: { size: { type: 'integer' }, root: hex64, chunks: { type: 'integer' } },
} as const;

const uploadStateSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['uploadId', 'size', 'chunkBytes', 'offset', 'expiresAt'],
  properties: {
    uploadId: hex64,
    size: { type: 'integer' },
    chunkBytes: { type: 'integer' },
    offset: {
      type: 'integer',
      description: 'bytes stored durably: resume the PUT here (a part boundary, or size once staged)',
    },
    expiresAt: { type: 'integer' },
    staged: stagedSchema,
  },
} as const;

const binaryResponse = (description: string): object => ({
  description,
  content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } },
});

function bearer(request: FastifyRequest): string | undefined {
  const value = request.headers.authorization;
  return value?.startsWith('Bearer ') ? value.slice('Bearer '.length) : undefined;
}

/** One `bytes=` range (RFC 9110 §14.1.2), end inclusive on the wire, exclusive here; INVALID_INPUT otherwise. */
function parseRange(header: string | undefined): { start: number; end?: number } | undefined {
  if (header === undefined) return undefined;
  const m = /^bytes=(\d{1,15})-(\d{0,15})$/.exec(header);
  if (!m) throw fail('INVALID_INPUT', 'Range must be one bytes=START- or bytes=START-END range');
  const start = Number(m[1]);
  if (m[2] === '') return { start };
  const last = Number(m[2]);
  if (last < start) throw fail('INVALID_INPUT', 'Range END must not be below START');
  return { start, end: last + 1 };
}

/**
 * Large files (docs/protocol.md §17): begin an upload (sealed, signed), stream the ciphertext
 * with the upload token, and fetch the leaves and content of a committed view with its
 * download token. The file-* operations themselves go through POST /v1/requests.
 */
export const fileRoutes: RoutePlugin<FileRouteOptions> = async (app, { files }) => {
  // The ciphertext is passed through as the raw stream: never buffered, hashed as it is stored.
  app.addContentTypeParser('application/octet-stream', (_request, payload, done) => {
    done(null, payload);
  });

  app.post('/v1/files/uploads', {
    schema: {
      summary: 'Begin a large-file upload: a sealed file-upload-begin request; answer: a sealed upload grant',
      body: sealedSchema,
      response: { 200: sealedSchema, ...FILE_ERRORS },
    },
    bodyLimit: SMALL_BODY_BYTES,
    config: { rateLimit: app.rateLimits.perApp },
    handler: (request) => files.begin(parseSealedMessage(request.body), request.ip),
  });

  app.get('/v1/files/uploads/:uploadId', {
    schema: {
      summary: 'Where an upload stands: the offset stored durably (resume the PUT there), and its digest once staged',
      params: uploadParams,
      headers: bearerHeaders,
      response: { 200: uploadStateSchema, ...FILE_ERRORS },
    },
    config: { rateLimit: app.rateLimits.perAddress },
    handler: async (request, reply) => {
      const state = await files.uploadState(request.params.uploadId, bearer(request), request.ip);
      void reply.header('upload-offset', String(state.offset));
      void reply.header('cache-control', 'no-store');
      return state;
    },
  });

  app.put('/v1/files/uploads/:uploadId', {
    schema: {
      summary:
        "Stream an upload's ciphertext (application/octet-stream) with its upload token, from Upload-Offset on (resume)",
      params: uploadParams,
      headers: uploadHeaders,
      response: { 200: stagedSchema, ...FILE_ERRORS },
    },
    bodyLimit: Math.max(files.maxFileBytes, 1),
    // Bounded by progress, not by the request timeout (plugins/request-timeouts.ts).
    config: { rateLimit: app.rateLimits.perAddress, transfer: true },
    // A refused upload's client may still be sending: the answer ends the connection.
    onSend: (_request, reply, payload, done) => {
      if (reply.statusCode >= 400) void reply.header('connection', 'close');
      done(null, payload);
    },
    handler: (request, reply) => {
      const header = request.headers['content-length'];
      const length = header === undefined ? undefined : Number(header);
      const { idleTimeoutMs, capMs } = app.transferLimits;
      const body = watchUpload(request.body as Readable, {
        idleTimeoutMs,
        capMs: capMs(length ?? files.maxFileBytes),
      });
      // Answered (or the client gone): what is left of the body is nobody's, and its watch ends.
      reply.raw.once('close', () => body.destroy());
      const offset = Number(request.headers['upload-offset'] ?? 0);
      return files.stage(request.params.uploadId, bearer(request), request.ip, body, { contentLength: length, offset });
    },
  });

  for (const what of ['leaves', 'content'] as const) {
    app.get(`/v1/files/:fileId/${what}`, {
      schema: {
        summary:
          what === 'leaves'
            ? "A file's §16 leaves (32 bytes each), with the download token of a committed file-view"
            : "A file's ciphertext, with the download token of a committed file-view; Range resumes",
        params: {
          type: 'object',
          additionalProperties: false,
          required: ['fileId'],
          properties: { fileId: hex64 },
        },
        headers: bearerHeaders,
        response: {
          200: binaryResponse(what === 'leaves' ? 'the leaves' : 'the ciphertext'),
          206: binaryResponse('the requested range'),
          ...FILE_ERRORS,
        },
      },
      config: { rateLimit: app.rateLimits.perAddress, transfer: true },
      handler: async (request, reply) => {
        const range = parseRange(request.headers.range);
        const d = await files.download(request.params.fileId, bearer(request), request.ip, what, range);
        // Idle is the socket's timeout (plugins/request-timeouts.ts); the whole answer has a cap
        // proportional to its size, past which the connection is cut.
        const cap = setTimeout(
          () => d.stream.destroy(fail('INVALID_INPUT', 'the download took longer than allowed')),
          app.transferLimits.capMs(d.end - d.start),
        );
        reply.raw.once('close', () => clearTimeout(cap));
        reply.header('content-type', 'application/octet-stream');
        reply.header('accept-ranges', 'bytes');
        reply.header('content-length', String(d.end - d.start));
        if (range) {
          reply.code(206);
          reply.header('content-range', `bytes ${d.start}-${Math.max(d.end - 1, d.start)}/${d.total}`);
        }
        return reply.send(d.stream);
      },
    });
  }
  return Promise.resolve();
};
