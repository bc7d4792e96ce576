import SwaggerParser from '@apidevtools/swagger-parser';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { registeredRoutes } from '../src/app';
import { Caller, Gateway, startGateway } from './helpers';

describe('OpenAPI document', () => {
  let gw: Gateway;
  let doc: any;
  before(async () => {
    gw = await startGateway();
    doc = (await new Caller(gw.url).get('/api/docs-json')).json;
  });
  after(() => gw.close());

  it('is a valid OpenAPI 3 document', async () => {
    // validate() dereferences in place; give it a copy.
    const api = await SwaggerParser.validate(structuredClone(doc));
    assert.match((api as { openapi: string }).openapi, /^3\.0/);
  });

  it('lists every endpoint the server registers, and nothing else', () => {
    const served = new Set(
      registeredRoutes(gw.app)
        .filter((r) => r.method !== 'HEAD' && r.method !== 'OPTIONS')
        .filter((r) => !r.url.startsWith('/api/docs') && r.url !== '/*')
        .map((r) => `${r.method} ${r.url.replace(/:(\w+)/g, '{$1}')}`),
    );
    const documented = new Set<string>();
    for (const [path, item] of Object.entries(doc.paths as Record<string, Record<string, unknown>>)) {
      for (const method of Object.keys(item)) documented.add(`${method.toUpperCase()} ${path}`);
    }
    assert.deepEqual([...documented].sort(), [...served].sort());
    assert.ok(served.size >= 24, `only ${served.size} routes`);
  });

  it('documents the error body, the auth schemes and the binary room-data formats', () => {
    assert.deepEqual(Object.keys(doc.components.schemas.ErrorResponseDto.properties).sort(), ['details', 'error', 'message', 'requestId', 'statusCode']);
    assert.ok(doc.components.securitySchemes.bearer);
    assert.ok(doc.components.securitySchemes.cookie);
    const events = doc.paths['/api/rooms/{id}/events'].get;
    assert.ok(events.responses['200'].content['application/x-protobuf']);
    assert.ok(events.responses['200'].content['application/json']);
    const strokes = doc.paths['/api/rooms/{id}/strokes'].post;
    assert.deepEqual(Object.keys(strokes.requestBody.content).sort(), ['application/json', 'application/msgpack', 'application/x-protobuf']);
    for (const [path, item] of Object.entries(doc.paths as Record<string, Record<string, { responses: Record<string, unknown> }>>)) {
      for (const [method, op] of Object.entries(item)) {
        assert.ok(Object.keys(op.responses).some((s) => s.startsWith('2')), `${method} ${path} has no success response`);
      }
    }
  });
});
