// What a route says about itself for the OpenAPI document: declared next to the handler, in the
// route's `config.openapi`, and collected when the route is registered (openapi-catalog.ts). The
// schemas are zod schemas; the document gets their JSON Schema (zod's own z.toJSONSchema).
import type { ZodObject, ZodType } from 'zod';

export interface ResponseDoc {
  description: string;
  /** Body schema per content type; absent for an empty body (204). */
  content?: Record<string, ZodType>;
  headers?: Record<string, { description: string; schema: ZodType }>;
}

export interface RouteDoc {
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  /** Path parameters. A wildcard route (`/media/*`) names its wildcard with `wildcard`. */
  params?: ZodObject;
  wildcard?: string;
  query?: ZodObject;
  /** Request headers the operation reads. */
  headers?: ZodObject;
  body?: { required: boolean; content: Record<string, ZodType> };
  responses: Record<number, ResponseDoc>;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route's description in the OpenAPI document; `false` for a route that is not an operation (a 405 answerer). */
    openapi?: RouteDoc | false;
  }
}
