// SPDX-License-Identifier: Apache-2.0
import { errorResponses } from '../errors/error-handler';

/**
 * Body limit of the routes whose bodies are small (a session open is about 400 bytes, admin calls
 * less): a flood of large bodies there is refused on its Content-Length, before a byte is read.
 * Sealed requests take config.limits.bodyBytes.
 */
export const SMALL_BODY_BYTES = 4096;

/** The coded error answers every route documents ({code, message}). */
export const ERRORS = errorResponses(400, 401, 403, 404, 409, 413, 414, 415, 422, 429, 431, 500, 502, 503, 504);
