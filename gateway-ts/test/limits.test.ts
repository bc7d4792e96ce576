import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import * as limits from '../src/gen/limits';

/**
 * src/gen/limits.ts against its source, proto/limits.json: a hand edit of the generated file, or a source changed
 * without `npm run gen`, fails here (Go, Rust and the browser compare theirs with the same file).
 */

interface Source {
  limits: Record<string, { value: number }>;
  defaults: Record<string, { value: number }>;
}

describe('limits', () => {
  it('are those of proto/limits.json, under the names the generator gives them', () => {
    const path = resolve(__dirname, '../../..', 'proto', 'limits.json');
    const source = JSON.parse(readFileSync(path, 'utf8')) as Source;
    const expected = Object.fromEntries([
      ...Object.entries(source.limits).map(([name, l]) => [name.toUpperCase(), l.value]),
      ...Object.entries(source.defaults).map(([name, d]) => [`DEFAULT_${name.toUpperCase()}`, d.value]),
    ]);
    assert.deepEqual({ ...limits }, expected);
  });
});
