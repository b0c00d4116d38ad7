// GET …/openapi.json: the OpenAPI 3.1 document of each mounted API, built from the routes it
// collected (openapi-catalog.ts). Served without credentials: it names routes and shapes, nothing
// of any account. The Bandwidth API's document is served beside each of its prefixes, with that
// prefix as its server URL, so a client generated from it calls the same spelling.
import type { FastifyInstance } from 'fastify';
import type { DocumentInfo, OpenApiCatalog } from './openapi-catalog.js';

const BANDWIDTH_SECURITY: Pick<DocumentInfo, 'securitySchemes' | 'security'> = {
  securitySchemes: {
    basicAuth: { type: 'http', scheme: 'basic', description: "An API user's username and password" },
    bearerAuth: {
      type: 'http',
      scheme: 'bearer',
      description: 'An OAuth2 access token from POST /api/v1/oauth2/token (client-credentials grant)',
    },
  },
  security: [{ basicAuth: [] }, { bearerAuth: [] }],
};

const ADMIN_SECURITY: Pick<DocumentInfo, 'securitySchemes' | 'security'> = {
  securitySchemes: { adminToken: { type: 'http', scheme: 'bearer', description: 'admin.token (PIGEON_ADMIN_TOKEN)' } },
  security: [{ adminToken: [] }],
};

/** Where the document of an API mounted under `prefix` is served: `/api/v2/openapi.json`, `/v2/openapi.json`, `/openapi.json`. */
export function openApiUrl(prefix: string): string {
  return `${prefix}/openapi.json`;
}

function serve(app: FastifyInstance, catalog: OpenApiCatalog, info: DocumentInfo): void {
  // Built before the server listens: a description that cannot be turned into a document stops start-up.
  app.addHook('onReady', async () => {
    catalog.build(info);
  });
  app.get(openApiUrl(catalog.prefix), async (_request, reply) =>
    reply.type('application/json; charset=utf-8').header('cache-control', 'no-cache').send(catalog.build(info)),
  );
}

export function bandwidthOpenApi(app: FastifyInstance, catalog: OpenApiCatalog): void {
  serve(app, catalog, {
    title: 'Pigeon: Bandwidth Messaging API v2',
    version: '2.0.0',
    description:
      'The Bandwidth Messaging v2 API as Pigeon serves it. The same operations are served under /api/v2, /v2 and the root; ' +
      'each prefix has this document at {prefix}/openapi.json.',
    serverUrl: catalog.prefix || '/',
    ...BANDWIDTH_SECURITY,
  });
}

export function adminOpenApi(app: FastifyInstance, catalog: OpenApiCatalog): void {
  serve(app, catalog, {
    title: 'Pigeon admin API',
    version: '1.0.0',
    description: "Pigeon's own API: simulator rules, inbound injection, message timelines, callback endpoints, the opt-out list.",
    serverUrl: catalog.prefix,
    ...ADMIN_SECURITY,
  });
}
