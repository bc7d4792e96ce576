import { Metadata, sendUnaryData, ServerUnaryCall, status as GrpcStatus } from '@grpc/grpc-js';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { IngestStrokesRequest, IngestStrokesResponse, RealtimeServiceService } from '../src/gen/infidraw/realtime/v1/realtime_service';
import { upstreamToHttp } from '../src/middleware/error.filter';
import { UpstreamError } from '../src/utils/upstream-error';
import { GrpcTestServer, serveGrpc } from './grpc-server';
import { Gateway, signup, startGateway } from './helpers';

const failure = (code: GrpcStatus, details: string, retryAfterSeconds?: number) =>
  new UpstreamError('tile-delta', 'GetTiles', code, details, retryAfterSeconds);

describe(upstreamToHttp.name, () => {
  // Every status a call can fail with: the caller's mistakes keep the service's words, the rest name the service.
  const table: Record<Exclude<GrpcStatus, GrpcStatus.OK>, { status: number; message: string }> = {
    [GrpcStatus.CANCELLED]: { status: 502, message: 'tile-delta service failed: boom' },
    [GrpcStatus.UNKNOWN]: { status: 502, message: 'tile-delta service failed: boom' },
    [GrpcStatus.INVALID_ARGUMENT]: { status: 400, message: 'boom' },
    [GrpcStatus.DEADLINE_EXCEEDED]: { status: 504, message: 'tile-delta service did not answer in time' },
    [GrpcStatus.NOT_FOUND]: { status: 404, message: 'boom' },
    [GrpcStatus.ALREADY_EXISTS]: { status: 409, message: 'boom' },
    [GrpcStatus.PERMISSION_DENIED]: { status: 403, message: 'boom' },
    [GrpcStatus.RESOURCE_EXHAUSTED]: { status: 429, message: 'boom' },
    [GrpcStatus.FAILED_PRECONDITION]: { status: 400, message: 'boom' },
    [GrpcStatus.ABORTED]: { status: 409, message: 'boom' },
    [GrpcStatus.OUT_OF_RANGE]: { status: 400, message: 'boom' },
    [GrpcStatus.UNIMPLEMENTED]: { status: 502, message: 'tile-delta service failed: boom' },
    [GrpcStatus.INTERNAL]: { status: 502, message: 'tile-delta service failed: boom' },
    [GrpcStatus.UNAVAILABLE]: { status: 503, message: 'tile-delta service unavailable' },
    [GrpcStatus.DATA_LOSS]: { status: 502, message: 'tile-delta service failed: boom' },
    [GrpcStatus.UNAUTHENTICATED]: { status: 502, message: 'tile-delta service failed: boom' },
  };

  it('covers every gRPC status but OK', () => {
    const codes = Object.values(GrpcStatus).filter((c): c is GrpcStatus => typeof c === 'number' && c !== GrpcStatus.OK);
    assert.deepEqual(Object.keys(table).map(Number).sort((a, b) => a - b), codes.sort((a, b) => a - b));
  });

  for (const [code, want] of Object.entries(table)) {
    it(`maps ${GrpcStatus[Number(code)]} to ${want.status}`, () => {
      const answer = upstreamToHttp(failure(Number(code), 'boom'));
      assert.deepEqual({ status: answer.status, message: answer.message }, want);
      assert.equal(answer.retryAfterSeconds, undefined, 'a wait only when the service named one');
    });
  }

  it('passes the wait of an overloaded service on with its 429, and only there', () => {
    assert.equal(upstreamToHttp(failure(GrpcStatus.RESOURCE_EXHAUSTED, 'pixel budget in use', 7)).retryAfterSeconds, 7);
    assert.equal(upstreamToHttp(failure(GrpcStatus.UNAVAILABLE, 'down', 7)).retryAfterSeconds, undefined);
  });

  it('maps a message over a gRPC size limit to what it is, never to 429 (retry)', () => {
    const reply = upstreamToHttp(failure(GrpcStatus.RESOURCE_EXHAUSTED, 'Received message larger than max (12694133 vs 4194304)', 7));
    assert.equal(reply.status, 502);
    assert.match(reply.message, /tile-delta service answered more than the gateway accepts/);
    assert.equal(reply.retryAfterSeconds, undefined);
    const request = upstreamToHttp(failure(GrpcStatus.RESOURCE_EXHAUSTED, 'grpc: received message larger than max (5000000 vs. 4194304)'));
    assert.equal(request.status, 413);
    assert.match(request.message, /the request is larger than the tile-delta service accepts/);
  });
});

describe('gRPC errors through the gateway', () => {
  let answer: { code: GrpcStatus; details: string; metadata?: Metadata };
  let realtime: GrpcTestServer;
  let gw: Gateway;
  let owner: Awaited<ReturnType<typeof signup>>;
  let path: string;
  before(async () => {
    realtime = await serveGrpc(RealtimeServiceService, {
      ingestStrokes: (_call: ServerUnaryCall<IngestStrokesRequest, IngestStrokesResponse>, cb: sendUnaryData<IngestStrokesResponse>) => cb(answer),
    });
    gw = await startGateway({ REALTIME_TARGET: realtime.target });
    owner = await signup(gw.url, 'grpc-errors');
    path = `/api/rooms/${(await owner.post('/api/rooms', { name: 'errors' })).json.id}/strokes`;
  });
  after(async () => {
    await gw.close();
    await realtime.stop();
  });

  const stroke = () => ({ strokes: [{ id: randomUUID(), tool: 'pen', rgba: 1, width: 300, points: [0, 0, 10, 10] }] });

  it("answers the service's refusal with its words and the error shape", async () => {
    answer = { code: GrpcStatus.ALREADY_EXISTS, details: 'stroke 0 (id x): already used' };
    const res = await owner.post(path, stroke());
    assert.equal(res.status, 409, res.text);
    assert.deepEqual({ ...res.json, requestId: undefined }, { statusCode: 409, error: 'Conflict', message: 'stroke 0 (id x): already used', requestId: undefined });
    assert.equal(res.headers.get('retry-after'), null);
  });

  it('answers an overloaded service 429 with the Retry-After of its retry-after trailer', async () => {
    const metadata = new Metadata();
    metadata.set('retry-after', '4');
    answer = { code: GrpcStatus.RESOURCE_EXHAUSTED, details: 'write queue is full: retry later', metadata };
    const res = await owner.post(path, stroke());
    assert.equal(res.status, 429, res.text);
    assert.equal(res.headers.get('retry-after'), '4');
    assert.equal(res.json.message, 'write queue is full: retry later');
  });

  it("answers the service's own trouble 5xx naming the service, not its details", async () => {
    answer = { code: GrpcStatus.UNAVAILABLE, details: 'read head: connection refused' };
    const res = await owner.post(path, stroke());
    assert.equal(res.status, 503, res.text);
    assert.equal(res.json.message, 'realtime service unavailable');
  });
});
