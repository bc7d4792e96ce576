import { Controller, Get, Module } from '@nestjs/common';
import { APP_INTERCEPTOR, NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import assert from 'node:assert/strict';
import { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { etagMatches, negotiate, Negotiate, RepresentationInterceptor, ResponseFormat } from '../src/middleware/representation.interceptor';
import { encode, Payload, WireFormat } from '../src/utils/payload';

describe(etagMatches.name, () => {
  const etag = '"abc-12"';
  const cases: [string | undefined, boolean][] = [
    [undefined, false],
    ['', false],
    ['"abc-12"', true],
    ['W/"abc-12"', true], // If-None-Match compares weakly
    ['"other"', false],
    ['"abc-1"', false],
    ['"x", "abc-12" , "y"', true],
    ['"x",W/"abc-12"', true],
    ['"x", "y"', false],
    ['*', true],
    ['"a,b", "abc-12"', true], // a comma inside a tag does not split it
    ['"a,"abc-12', false],
    ['abc-12', false], // an unquoted tag is no tag
  ];
  for (const [header, want] of cases) {
    it(`${JSON.stringify(header)} ${want ? 'matches' : 'does not match'}`, () => assert.equal(etagMatches(header, etag), want));
  }

  it('compares a weak ETag weakly too', () => {
    assert.equal(etagMatches('"abc-12"', 'W/"abc-12"'), true);
  });
});

describe(negotiate.name, () => {
  const both: WireFormat[] = ['protobuf', 'json'];
  const cases: [string | undefined, WireFormat[], WireFormat, WireFormat | 406][] = [
    [undefined, both, 'protobuf', 'protobuf'],
    ['', both, 'json', 'json'],
    ['application/json', both, 'protobuf', 'json'],
    ['application/x-protobuf', both, 'json', 'protobuf'],
    ['application/vnd.google.protobuf', both, 'json', 'protobuf'],
    ['Application/JSON; charset=utf-8', both, 'protobuf', 'json'],
    ['*/*', both, 'json', 'json'],
    ['application/*', both, 'protobuf', 'protobuf'],
    ['text/html, application/json;q=0.5, application/x-protobuf;q=0.9', both, 'json', 'protobuf'],
    ['application/x-protobuf;q=0, application/json', both, 'protobuf', 'json'],
    ['application/msgpack, application/json;q=0.1', both, 'protobuf', 'json'], // msgpack is not offered here
    ['application/msgpack', ['protobuf', 'msgpack', 'json'], 'json', 'msgpack'],
    ['text/html', both, 'protobuf', 406],
    ['application/json;q=0', both, 'protobuf', 406],
  ];
  for (const [accept, formats, fallback, want] of cases) {
    it(`Accept ${JSON.stringify(accept)} of ${formats.join('/')} is ${want}`, () => {
      if (want === 406) assert.throws(() => negotiate(accept, formats, fallback), /can answer with application\/x-protobuf, application\/json/);
      else assert.equal(negotiate(accept, formats, fallback), want);
    });
  }
});

/** A message in both forms, as the services encode theirs. */
const message = { protobuf: () => Uint8Array.of(8, 42), plain: () => ({ answer: 42 }) };

@Controller()
class ExampleController {
  reads = 0;

  @Get('message')
  @Negotiate(['protobuf', 'json'])
  message(@ResponseFormat() format: WireFormat) {
    return new Payload({ ...encode(format, message), headers: { 'x-format': format } });
  }

  @Get('echo')
  @Negotiate(['protobuf', 'msgpack', 'json'], 'request')
  echo(@ResponseFormat() format: WireFormat) {
    return new Payload(encode(format, message));
  }

  @Get('picture')
  picture() {
    const read = async () => (this.reads++, Buffer.from('png bytes'));
    return new Payload({ contentType: 'image/png', cacheControl: 'private, max-age=60', etag: '"v1"', body: read });
  }

  @Get('moved')
  moved() {
    const read = async () => (this.reads++, Payload.redirect('http://store.example/picture.png?signed', 'private, max-age=54'));
    return new Payload({ contentType: 'image/png', cacheControl: 'private, max-age=31536000, immutable', etag: '"m1"', body: read });
  }

  @Get('plain')
  plain() {
    return { not: 'a payload' };
  }
}

@Module({ controllers: [ExampleController], providers: [{ provide: APP_INTERCEPTOR, useClass: RepresentationInterceptor }] })
class ExampleModule {}

describe(RepresentationInterceptor.name, () => {
  let app: NestFastifyApplication;
  let base: string;
  before(async () => {
    app = await NestFactory.create<NestFastifyApplication>(ExampleModule, new FastifyAdapter(), { logger: false });
    await app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
  });
  after(() => app.close());

  const get = (path: string, headers: Record<string, string> = {}) => fetch(base + path, { headers });

  it('answers in the format Accept asks for, protobuf by default, with Vary: Accept', async () => {
    const proto = await get('/message');
    assert.equal(proto.status, 200);
    assert.equal(proto.headers.get('content-type'), 'application/x-protobuf');
    assert.deepEqual([...new Uint8Array(await proto.arrayBuffer())], [8, 42]);
    assert.equal(proto.headers.get('vary'), 'accept');
    assert.equal(proto.headers.get('cache-control'), 'no-store', 'an API answer is not stored unless it says so');
    const json = await get('/message', { accept: 'application/json' });
    assert.equal(json.headers.get('content-type'), 'application/json; charset=utf-8');
    assert.deepEqual(await json.json(), { answer: 42 });
  });

  it('lets ?format= override Accept, and ignores a value the route does not offer', async () => {
    const res = await get('/message?format=json', { accept: 'text/html' });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-format'), 'json');
    assert.equal((await get('/message?format=msgpack', { accept: 'application/json' })).headers.get('x-format'), 'json');
  });

  it('is 406 when Accept allows none of the formats', async () => {
    assert.equal((await get('/message', { accept: 'text/html' })).status, 406);
  });

  it("answers in the request's format when the route says so and Accept does not choose", async () => {
    const res = await get('/echo', { 'content-type': 'application/msgpack' });
    assert.equal(res.headers.get('content-type'), 'application/msgpack');
    assert.equal((await get('/echo', { 'content-type': 'application/msgpack', accept: 'application/json' })).headers.get('content-type'), 'application/json; charset=utf-8');
  });

  it('sends the ETag, and 304 without reading the body when If-None-Match names it', async () => {
    const controller = app.get(ExampleController);
    const first = await get('/picture');
    assert.equal(first.status, 200);
    assert.equal(first.headers.get('etag'), '"v1"');
    assert.equal(await first.text(), 'png bytes');
    assert.equal(controller.reads, 1);
    for (const ifNoneMatch of ['"v1"', 'W/"v1"', '"v0", "v1"', '*']) {
      const again = await get('/picture', { 'if-none-match': ifNoneMatch });
      assert.equal(again.status, 304, ifNoneMatch);
      assert.equal(again.headers.get('etag'), '"v1"');
      assert.equal(again.headers.get('cache-control'), 'private, max-age=60', 'a 304 carries the caching headers of the 200');
      assert.equal(await again.text(), '');
    }
    assert.equal(controller.reads, 1, 'no 304 read the body');
    assert.equal((await get('/picture', { 'if-none-match': '"v0"' })).status, 200);
    assert.equal(controller.reads, 2);
  });

  it('writes the Payload a body answers with in place of its own: a redirect without the ETag or caching of the bytes', async () => {
    const controller = app.get(ExampleController);
    const reads = controller.reads;
    const res = await fetch(`${base}/moved`, { redirect: 'manual' });
    assert.equal(res.status, 302);
    assert.equal(res.headers.get('location'), 'http://store.example/picture.png?signed');
    assert.equal(res.headers.get('cache-control'), 'private, max-age=54');
    assert.equal(res.headers.get('etag'), null);
    assert.equal(controller.reads, reads + 1);
    const again = await fetch(`${base}/moved`, { redirect: 'manual', headers: { 'if-none-match': '"m1"' } });
    assert.equal(again.status, 304, 'the ETag of the named bytes still answers a revalidation');
    assert.equal(controller.reads, reads + 1, 'without reading the body');
  });

  it('passes other results through untouched', async () => {
    const res = await get('/plain');
    assert.deepEqual(await res.json(), { not: 'a payload' });
    assert.equal(res.headers.get('vary'), null);
  });
});
