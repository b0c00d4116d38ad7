// Pigeon's OpenAPI document against Bandwidth's own (the bandwidth.yml shipped in bandwidth-sdk, from
// which the SDK is generated): the operations both have keep Bandwidth's operationIds, paths,
// methods, parameters, required request fields and success statuses, so a client generated from
// either document calls Pigeon the same way.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { startPigeon, type TestPigeon } from '../helpers/pigeon.js';

type Node = Record<string, unknown>;
interface Parameter {
  name: string;
  in: string;
  required?: boolean;
}
interface Operation {
  path: string;
  method: string;
  parameters: Parameter[];
  requestBody?: Node;
  responses: Node;
}

const SHARED = ['createMessage', 'listMessages', 'uploadMedia', 'getMedia', 'listMedia', 'deleteMedia'];

function bandwidthDocument(): Node {
  const entry = createRequire(import.meta.url).resolve('bandwidth-sdk/package.json');
  return parseYaml(readFileSync(join(dirname(entry), 'bandwidth.yml'), 'utf8')) as Node;
}

/** Follows a local `$ref` (`#/components/…`) until a node without one. */
function deref(doc: Node, node: unknown): Node {
  let current = node as Node;
  while (typeof current.$ref === 'string') {
    current = current.$ref
      .slice(2)
      .split('/')
      .reduce<Node>((at, key) => at[key.replace(/~1/g, '/').replace(/~0/g, '~')] as Node, doc);
  }
  return current;
}

function operations(doc: Node): Map<string, Operation> {
  const out = new Map<string, Operation>();
  for (const [path, item] of Object.entries(doc.paths as Record<string, Node>)) {
    for (const [method, value] of Object.entries(item)) {
      const op = value as Node;
      if (typeof op.operationId !== 'string') continue;
      out.set(op.operationId, {
        path,
        method,
        parameters: ((op.parameters as unknown[] | undefined) ?? []).map((p) => deref(doc, p) as unknown as Parameter),
        requestBody: op.requestBody ? deref(doc, op.requestBody) : undefined,
        responses: op.responses as Node,
      });
    }
  }
  return out;
}

const names = (params: Parameter[], location: string) =>
  params.filter((p) => p.in === location).map((p) => (location === 'header' ? p.name.toLowerCase() : p.name)).sort();

const success = (responses: Node) => Object.keys(responses).filter((s) => s.startsWith('2')).sort();

describe("Pigeon's OpenAPI document and Bandwidth's bandwidth.yml", () => {
  let pigeon: TestPigeon;
  let ours: Node;
  let theirs: Node;
  before(async () => {
    pigeon = await startPigeon();
    ours = (await (await pigeon.fetch('/api/v2/openapi.json')).json()) as Node;
    theirs = bandwidthDocument();
  });
  after(() => pigeon.close());

  it('has the shared operations under the same operationIds, paths and methods, and no others', () => {
    const mine = operations(ours);
    const bandwidth = operations(theirs);
    assert.deepEqual([...mine.keys()].sort(), [...SHARED].sort());
    for (const id of SHARED) {
      const a = mine.get(id);
      const b = bandwidth.get(id);
      assert.ok(a && b, id);
      assert.deepEqual([a.method, a.path], [b.method, b.path], id);
    }
  });

  it('takes the same path, query and header parameters, and answers the same success statuses', () => {
    const mine = operations(ours);
    const bandwidth = operations(theirs);
    for (const id of SHARED) {
      const a = mine.get(id) as Operation;
      const b = bandwidth.get(id) as Operation;
      assert.deepEqual(names(a.parameters, 'path'), names(b.parameters, 'path'), `${id} path parameters`);
      assert.deepEqual(names(a.parameters, 'query'), names(b.parameters, 'query'), `${id} query parameters`);
      assert.deepEqual(names(a.parameters, 'header'), names(b.parameters, 'header'), `${id} header parameters`);
      for (const p of b.parameters.filter((x) => x.required)) {
        assert.ok(a.parameters.some((x) => x.name === p.name && x.required), `${id}: ${p.name} is required in both`);
      }
      assert.deepEqual(success(a.responses), success(b.responses), `${id} success statuses`);
      assert.equal(Boolean(a.requestBody), Boolean(b.requestBody), `${id} request body`);
    }
  });

  it('requires the same fields of a MessageRequest and knows every field Bandwidth defines', () => {
    const body = (doc: Node, id: string) => {
      const op = operations(doc).get(id) as Operation;
      const media = (op.requestBody?.content as Node)['application/json'] as Node;
      return deref(doc, media.schema);
    };
    const a = body(ours, 'createMessage');
    const b = body(theirs, 'createMessage');
    assert.deepEqual([...(a.required as string[])].sort(), [...(b.required as string[])].sort());
    assert.deepEqual(Object.keys(a.properties as Node).sort(), Object.keys(b.properties as Node).sort());
  });
});
