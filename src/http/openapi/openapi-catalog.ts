// The routes of one mounted API, collected as they are registered (Fastify's onRoute hook in the
// API's scope), and the OpenAPI 3.1 document built from them. The document cannot drift from the
// routes: a route registered without a description stops the app from starting, and a description
// exists only on a registered route.
import type { FastifyInstance, RouteOptions } from 'fastify';
import { z, type ZodObject, type ZodType } from 'zod';
import type { ResponseDoc, RouteDoc } from './route-doc.js';

export interface CatalogRoute {
  method: string;
  /** The route's URL as registered, prefix included (`/api/v2/users/:accountId/media/*`). */
  url: string;
  /** The OpenAPI path, without the prefix (`/users/{accountId}/media/{mediaId}`). */
  path: string;
  /** Absent for routes that are not operations (405 answerers). */
  doc: RouteDoc | undefined;
}

export interface DocumentInfo {
  title: string;
  version: string;
  description: string;
  /** The base URL the paths are relative to (`/api/v2`). */
  serverUrl: string;
  securitySchemes: Record<string, unknown>;
  security: Array<Record<string, string[]>>;
}

type Json = Record<string, unknown>;

/** `:accountId` → `{accountId}`, and a trailing `*` → `{wildcard}`. */
function openApiPath(path: string, wildcard: string | undefined): string {
  const named = path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
  if (!named.endsWith('*')) return named;
  if (!wildcard) throw new Error(`route ${path}: a wildcard route must name its wildcard in config.openapi.wildcard`);
  return `${named.slice(0, -1)}{${wildcard}}`;
}

export class OpenApiCatalog {
  readonly routes: CatalogRoute[] = [];
  private document: Json | undefined;

  constructor(readonly prefix: string) {}

  /** Call first thing in the API's scope: every route registered after it, in the scope and below, is collected. */
  collect(scope: FastifyInstance): void {
    scope.addHook('onRoute', (route: RouteOptions) => this.add(route));
  }

  private add(route: RouteOptions): void {
    const methods = (Array.isArray(route.method) ? route.method : [route.method]).filter((m) => m !== 'HEAD');
    if (methods.length === 0) return;
    const doc = route.config?.openapi;
    const path = route.url.slice(this.prefix.length) || '/';
    if (doc === undefined) throw new Error(`route ${methods.join(',')} ${route.url} has no OpenAPI description (config.openapi)`);
    for (const method of methods) {
      this.routes.push({ method, url: route.url, path: doc ? openApiPath(path, doc.wildcard) : path, doc: doc || undefined });
    }
    this.document = undefined;
  }

  build(info: DocumentInfo): Json {
    this.document ??= buildDocument(this.routes, info);
    return this.document;
  }
}

/** JSON Schema of a zod schema, with named schemas as references into components. */
class SchemaSet {
  private readonly registry = z.registry<{ id: string }>();
  private readonly names = new Map<ZodType, string>();

  ref(schema: ZodType, fallbackName: string): Json {
    let name = this.names.get(schema);
    if (name === undefined) {
      name = schemaName(schema) ?? fallbackName;
      if ([...this.names.values()].includes(name)) throw new Error(`two different schemas are named ${name}`);
      this.names.set(schema, name);
      this.registry.add(schema, { id: name });
    }
    return { $ref: `#/components/schemas/${name}` };
  }

  components(): Json {
    const { schemas } = z.toJSONSchema(this.registry, { uri: (id) => `#/components/schemas/${id}`, unrepresentable: 'any' });
    for (const schema of Object.values(schemas)) {
      delete (schema as Json).$schema;
      delete (schema as Json).$id;
    }
    return schemas;
  }
}

/** A schema's name, from `.meta({ title })`, which becomes its components key. */
function schemaName(schema: ZodType): string | undefined {
  const title = (schema.meta() as { title?: unknown } | undefined)?.title;
  return typeof title === 'string' ? title : undefined;
}

function inlineSchema(schema: ZodType): Json {
  const json = z.toJSONSchema(schema, { unrepresentable: 'any' }) as Json;
  delete json.$schema;
  return json;
}

function parameters(location: 'path' | 'query' | 'header', object: ZodObject | undefined): Json[] {
  if (!object) return [];
  return Object.entries(object.shape).map(([name, field]) => {
    const schema = field as ZodType;
    const optional = schema.safeParse(undefined).success;
    const { description, ...rest } = inlineSchema(schema);
    return { name, in: location, required: location === 'path' || !optional, ...(description !== undefined && { description }), schema: rest };
  });
}

function content(set: SchemaSet, byType: Record<string, ZodType>, fallbackName: string): Json {
  const out: Json = {};
  const types = Object.keys(byType);
  for (const [type, schema] of Object.entries(byType)) {
    // Unnamed schemas are named after their operation, and their content type when there are several.
    const suffix = types.length > 1 ? (type.split('/')[1] ?? '').replace(/[^a-z0-9]/gi, '').replace(/^./, (c) => c.toUpperCase()) : '';
    out[type] = { schema: set.ref(schema, fallbackName + suffix) };
  }
  return out;
}

function response(set: SchemaSet, doc: ResponseDoc, fallbackName: string): Json {
  const headers: Json = {};
  for (const [name, header] of Object.entries(doc.headers ?? {})) {
    headers[name] = { description: header.description, schema: inlineSchema(header.schema) };
  }
  return {
    description: doc.description,
    ...(doc.headers && { headers }),
    ...(doc.content && { content: content(set, doc.content, fallbackName) }),
  };
}

function buildDocument(routes: readonly CatalogRoute[], info: DocumentInfo): Json {
  const set = new SchemaSet();
  const paths: Record<string, Json> = {};
  const ids = new Set<string>();
  for (const route of routes) {
    const doc = route.doc;
    if (!doc) continue;
    if (ids.has(doc.operationId)) throw new Error(`operationId ${doc.operationId} is used twice`);
    ids.add(doc.operationId);
    const responses: Json = {};
    for (const [status, res] of Object.entries(doc.responses)) {
      responses[status] = response(set, res, `${doc.operationId}Response${status}`);
    }
    (paths[route.path] ??= {})[route.method.toLowerCase()] = {
      operationId: doc.operationId,
      summary: doc.summary,
      ...(doc.description && { description: doc.description }),
      tags: doc.tags,
      parameters: [...parameters('path', doc.params), ...parameters('query', doc.query), ...parameters('header', doc.headers)],
      ...(doc.body && { requestBody: { required: doc.body.required, content: content(set, doc.body.content, `${doc.operationId}Request`) } }),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: info.title, version: info.version, description: info.description },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    servers: [{ url: info.serverUrl }],
    security: info.security,
    paths,
    components: { schemas: set.components(), securitySchemes: info.securitySchemes },
  };
}
