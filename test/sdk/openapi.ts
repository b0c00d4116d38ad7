// Validates response bodies against Bandwidth's own OpenAPI document (the `bandwidth.yml` shipped in
// the bandwidth-sdk package), so "wire-compatible" is checked against the published contract rather
// than against our reading of it. The document is OpenAPI 3.0, which is not quite JSON Schema: it is
// converted once (nullable, local $refs, vendor formats) and then compiled with ajv.
import { createHash } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { parse as parseYaml } from 'yaml';

/** Base id under which the converted components live; every local `#/…` ref is rewritten onto it. */
const DOC_ID = 'https://pigeon.test/bandwidth.yml';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

interface OpenApiDoc {
  paths: Record<string, Record<string, { operationId?: string; responses?: Record<string, JsonObject> }>>;
  components: { schemas: JsonObject; responses: Record<string, JsonObject> };
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The package has no `exports` map, but resolving its entry point keeps us independent of hoisting. */
function specPath(): string {
  const require = createRequire(import.meta.url);
  const entry = require.resolve('bandwidth-sdk/package.json');
  return join(dirname(entry), 'bandwidth.yml');
}

/**
 * OpenAPI 3.0 → JSON Schema (draft-07, what ajv speaks by default):
 * - `nullable: true` becomes a `null` member of `type` (and of `enum`, which would otherwise still reject null);
 *   without a `type` (a bare $ref or a combinator) the schema is wrapped in `anyOf [schema, null]`.
 * - `#/…` refs are made absolute so that schemas compiled on their own still resolve into the components.
 */
function convert(node: Json, formats: Set<string>): Json {
  if (Array.isArray(node)) return node.map((n) => convert(n, formats));
  if (!isObject(node)) return node;
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === '$ref' && typeof value === 'string' && value.startsWith('#/')) out[key] = `${DOC_ID}${value}`;
    else if (key === 'format' && typeof value === 'string') {
      formats.add(value);
      out[key] = value;
    } else out[key] = convert(value, formats);
  }
  if (out.nullable !== true) {
    delete out.nullable;
    return out;
  }
  delete out.nullable;
  if (typeof out.type === 'string') {
    out.type = [out.type, 'null'];
    if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
    return out;
  }
  return { anyOf: [out, { type: 'null' }] };
}

/**
 * Parsing the 330 KB document with `yaml` takes one to two seconds, paid again by every test file
 * (each runs in its own process). The parsed form is cached as JSON in the temp directory, keyed by
 * a hash of the YAML text so that an SDK upgrade can never be validated against a stale copy.
 */
function loadDoc(path: string): OpenApiDoc {
  const text = readFileSync(path, 'utf8');
  const digest = createHash('sha256').update(text).digest('hex').slice(0, 16);
  const cachePath = join(tmpdir(), `pigeon-bandwidth-openapi-${digest}.json`);
  try {
    return JSON.parse(readFileSync(cachePath, 'utf8')) as OpenApiDoc;
  } catch {
    const doc = parseYaml(text) as OpenApiDoc;
    try {
      // Written aside and renamed, so a concurrently starting test file never reads half a file.
      const partial = `${cachePath}.${process.pid}`;
      writeFileSync(partial, JSON.stringify(doc));
      renameSync(partial, cachePath);
    } catch {
      // A read-only temp directory only costs speed.
    }
    return doc;
  }
}

class OpenApiValidator {
  private readonly ajv: Ajv;
  private readonly doc: OpenApiDoc;
  private readonly cache = new Map<string, ValidateFunction>();

  constructor(path: string) {
    this.doc = loadDoc(path);
    const formats = new Set<string>();
    const schemas = convert(this.doc.components.schemas, formats);
    // strict: false because OpenAPI adds keywords ajv does not know (example, xml, discriminator, externalDocs…).
    this.ajv = new Ajv({ strict: false, allErrors: true });
    addFormatsModule.default(this.ajv);
    // Vendor formats (int32, int64, double, binary…) carry no constraint JSON Schema could check.
    for (const format of formats) if (!this.ajv.formats[format]) this.ajv.addFormat(format, true);
    this.ajv.addSchema({ $id: DOC_ID, components: { schemas } });
  }

  /** A component schema, named by its key in components/schemas or by its `title` (e.g. 'MessagesList'). */
  schema(name: string): ValidateFunction {
    const key = `schema:${name}`;
    let validate = this.cache.get(key);
    if (!validate) {
      const schemas = this.doc.components.schemas;
      const found =
        name in schemas ? name : Object.keys(schemas).find((k) => isObject(schemas[k]) && schemas[k].title === name);
      if (!found) throw new Error(`bandwidth.yml has no schema named '${name}'`);
      validate = this.ajv.getSchema(`${DOC_ID}#/components/schemas/${found}`);
      if (!validate) throw new Error(`ajv could not compile schema '${found}'`);
      this.cache.set(key, validate);
    }
    return validate;
  }

  /** The JSON body schema of an operation's response, as declared under paths (following response $refs). */
  response(operationId: string, status: number): ValidateFunction {
    const key = `response:${operationId}:${status}`;
    let validate = this.cache.get(key);
    if (!validate) {
      const operation = Object.values(this.doc.paths)
        .flatMap((item) => Object.values(item))
        .find((op) => isObject(op) && op.operationId === operationId);
      if (!operation) throw new Error(`bandwidth.yml has no operation '${operationId}'`);
      let response: Json | undefined = operation.responses?.[String(status)];
      if (isObject(response) && typeof response.$ref === 'string') {
        response = this.doc.components.responses[response.$ref.replace('#/components/responses/', '')];
      }
      const content = isObject(response) && isObject(response.content) ? response.content : undefined;
      const media = content?.['application/json'];
      if (!isObject(media) || !isObject(media.schema)) {
        throw new Error(`bandwidth.yml declares no JSON body for ${operationId} ${status}`);
      }
      validate = this.ajv.compile(convert(media.schema, new Set()) as JsonObject);
      this.cache.set(key, validate);
    }
    return validate;
  }

  explain(validate: ValidateFunction): string {
    return this.ajv.errorsText(validate.errors, { separator: '; ', dataVar: 'body' });
  }
}

let shared: OpenApiValidator | undefined;
function validator(): OpenApiValidator {
  shared ??= new OpenApiValidator(specPath());
  return shared;
}

function check(validate: ValidateFunction, what: string, body: unknown): void {
  if (validate(body)) return;
  throw new Error(
    `${what} does not match bandwidth.yml: ${validator().explain(validate)}\n` +
      `body: ${JSON.stringify(body)}`,
  );
}

export type SchemaName = 'Message' | 'MessagesList' | 'Media' | 'MessagingRequestError' | 'CreateMessageRequestError';

/** Throws, with ajv's error text, unless `body` matches the named component schema of bandwidth.yml. */
export function assertMatchesSchema(schemaName: SchemaName, body: unknown): void {
  check(validator().schema(schemaName), `${schemaName} body`, body);
}

export type OperationId = 'createMessage' | 'listMessages' | 'listMedia';

/** Throws unless `body` matches what bandwidth.yml declares for `operationId` answering `status`. */
export function assertMatchesResponse(operationId: OperationId, status: number, body: unknown): void {
  check(validator().response(operationId, status), `${operationId} ${status} body`, body);
}
