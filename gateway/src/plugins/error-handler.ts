// SPDX-License-Identifier: Apache-2.0
import fp from 'fastify-plugin';
import { installErrorHandler } from '../errors/error-handler';

/** The one error boundary ({code, message}), and JSON as the only body type. */
export const errorHandlerPlugin = fp(
  (app, _options, done) => {
    installErrorHandler(app);
    // JSON only: without this, Fastify's built-in text/plain parser turns a text body into a
    // schema error (400) instead of the unsupported media type it is (415).
    app.removeContentTypeParser(['text/plain']);
    done();
  },
  { name: 'medshare-error-handler', fastify: '5.x' },
);
