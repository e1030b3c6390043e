// SPDX-License-Identifier: Apache-2.0
import type { FastifyPluginAsync, FastifyTypeProvider, RawServerDefault } from 'fastify';
import type { FromSchema, JSONSchema } from 'json-schema-to-ts';

/**
 * A Fastify type provider: a route's params, query, headers and body are typed from its JSON
 * schema (json-schema-to-ts), so handlers never cast them. Answers are not typed: several are the
 * contract's JSON passed through, and every answer is checked by its response schema's
 * serializer at run time. The schemas stay plain JSON (`as const`), so the OpenAPI document
 * built from them does not change.
 */
export interface SchemaTypes extends FastifyTypeProvider {
  readonly validator: this['schema'] extends JSONSchema ? FromSchema<this['schema']> : unknown;
  readonly serializer: unknown;
}

/** A route plugin whose handlers are typed from their schemas. */
export type RoutePlugin<Options extends object> = FastifyPluginAsync<Options, RawServerDefault, SchemaTypes>;
