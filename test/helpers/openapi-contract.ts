// Checks real answers against Pigeon's own OpenAPI document: the status must be documented for the
// operation, the content type must be one it documents, and a JSON body must validate (ajv, JSON
// Schema 2020-12, the dialect of OpenAPI 3.1). Every (operation, status) checked is recorded, so a
// test can require that each documented one was produced at least once.
import assert from 'node:assert/strict';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';

interface Operation {
  method: string;
  path: string;
  responses: Record<string, { content?: Record<string, unknown> }>;
}

export type OpenApiDocument = {
  paths: Record<string, Record<string, { operationId: string; responses: Operation['responses'] }>>;
  components: { schemas: Record<string, unknown> };
};

const escape = (token: string) => token.replace(/~/g, '~0').replace(/\//g, '~1');

export class OpenApiContract {
  private readonly ajv = new Ajv2020({ strict: false, allErrors: true });
  private readonly operations = new Map<string, Operation>();
  private readonly seen = new Set<string>();

  constructor(readonly document: OpenApiDocument) {
    addFormatsModule.default(this.ajv);
    this.ajv.addSchema({ ...document, $id: 'pigeon:openapi' });
    for (const [path, methods] of Object.entries(document.paths)) {
      for (const [method, op] of Object.entries(methods)) this.operations.set(op.operationId, { method, path, responses: op.responses });
    }
  }

  operationIds(): string[] {
    return [...this.operations.keys()];
  }

  operation(operationId: string): Operation {
    const op = this.operations.get(operationId);
    assert.ok(op, `no operation ${operationId} in the document`);
    return op;
  }

  /** Checks the answer against the operation's documented response for its status; returns the parsed JSON body, if any. */
  async check(operationId: string, res: Response, expectedStatus?: number): Promise<unknown> {
    const op = this.operation(operationId);
    const text = await res.text();
    if (expectedStatus !== undefined) assert.equal(res.status, expectedStatus, `${operationId}: ${text.slice(0, 300)}`);
    const documented = op.responses[String(res.status)];
    assert.ok(documented, `${operationId} answered ${res.status}, which its document does not list: ${text.slice(0, 300)}`);
    this.seen.add(`${operationId} ${res.status}`);
    const types = Object.keys(documented.content ?? {});
    if (types.length === 0) {
      assert.equal(text, '', `${operationId} ${res.status} is documented without a body`);
      return undefined;
    }
    const contentType = (res.headers.get('content-type') ?? '').split(';')[0]?.trim() ?? '';
    const type = types.find((t) => t === contentType || t === '*/*');
    assert.ok(type, `${operationId} ${res.status}: content type ${contentType} is not one of ${types.join(', ')}`);
    if (!type.endsWith('json')) return text;
    const body: unknown = JSON.parse(text);
    const pointer = `/paths/${escape(op.path)}/${op.method}/responses/${res.status}/content/${escape(type)}/schema`;
    const validate = this.ajv.getSchema(`pigeon:openapi#${pointer}`);
    assert.ok(validate, `no schema at ${pointer}`);
    assert.ok(validate(body), `${operationId} ${res.status} body does not match the document: ${this.ajv.errorsText(validate.errors)}\n${text.slice(0, 500)}`);
    return body;
  }

  /** Documented (operation, status) pairs no checked answer produced, except those excused (`operationId status` or `* status`). */
  unexercised(excused: Record<string, string>): string[] {
    const missing: string[] = [];
    for (const [id, op] of this.operations) {
      for (const status of Object.keys(op.responses)) {
        const key = `${id} ${status}`;
        if (!this.seen.has(key) && !(key in excused) && !(`* ${status}` in excused)) missing.push(key);
      }
    }
    return missing;
  }
}
