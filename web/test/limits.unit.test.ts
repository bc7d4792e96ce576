// src/gen/limits.ts against its source, proto/limits.json: a hand edit of the generated file, or a source
// changed without `npm run gen`, fails here (Go, Rust and the gateway compare theirs with the same file).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import * as limits from '../src/gen/limits.ts';
import * as geometry from '../src/geometry.ts';

interface Source {
  limits: Record<string, { value: number }>;
  defaults: Record<string, { value: number }>;
}

const source = JSON.parse(readFileSync(resolve(import.meta.dirname, '..', '..', 'proto', 'limits.json'), 'utf8')) as Source;

/** The source's values under the names the generator gives them (defaults as DEFAULT_<NAME>). */
const expected: Record<string, number> = Object.fromEntries([
  ...Object.entries(source.limits).map(([name, l]) => [name.toUpperCase(), l.value]),
  ...Object.entries(source.defaults).map(([name, d]) => [`DEFAULT_${name.toUpperCase()}`, d.value]),
]);

test('the generated limits are those of proto/limits.json', () => {
  assert.deepEqual({ ...limits }, expected);
});

test('geometry.ts exports the stroke limits of the source', () => {
  for (const name of ['COORD_SCALE', 'MAX_COORD', 'MAX_LEVEL', 'MAX_PATH_TILES', 'MAX_POINTS', 'MAX_TILES_PER_STROKE', 'MAX_WIDTH', 'MIN_WIDTH'] as const) {
    assert.equal(geometry[name], expected[name], name);
  }
});
