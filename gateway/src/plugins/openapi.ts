// SPDX-License-Identifier: Apache-2.0
import fastifySwagger from '@fastify/swagger';
import fp from 'fastify-plugin';

/** The OpenAPI document built from the route schemas, served at /openapi.json (docs/openapi.json). */
export const openApiPlugin = fp(
  async (app) => {
    await app.register(fastifySwagger, {
      openapi: {
        openapi: '3.0.3',
        info: {
          title: 'medshare access layer',
          version: '1.0.0',
          description: 'Sessions, sealed requests and the signature chain (docs/protocol.md).',
        },
      },
    });
    app.get('/openapi.json', { schema: { hide: true }, handler: () => Promise.resolve(app.swagger()) });
  },
  { name: 'medshare-openapi', fastify: '5.x' },
);
