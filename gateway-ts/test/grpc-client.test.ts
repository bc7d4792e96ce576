import { credentials, Metadata, sendUnaryData, ServerUnaryCall, status as GrpcStatus } from '@grpc/grpc-js';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  GetEventsRequest,
  GetEventsResponse,
  GetPresenceRequest,
  GetPresenceResponse,
  RealtimeServiceService as Rpc,
} from '../src/gen/infidraw/realtime/v1/realtime_service';
import { GrpcClient } from '../src/repositories/grpc-client';
import { MetricsService } from '../src/services/metrics.service';
import { UpstreamError } from '../src/utils/upstream-error';
import { GrpcTestServer, serveGrpc } from './grpc-server';
import { freePort, Gateway, signup, startGateway } from './helpers';

/** What the fake realtime-go does with a GetEvents call. */
type Behaviour = (call: ServerUnaryCall<GetEventsRequest, GetEventsResponse>, cb: sendUnaryData<GetEventsResponse>) => void;

/** A RealtimeService whose GetEvents behaves as the test says; GetPresence never answers. */
async function fakeRealtime(behaviour: () => Behaviour): Promise<GrpcTestServer> {
  return serveGrpc(Rpc, {
    getEvents: (call: ServerUnaryCall<GetEventsRequest, GetEventsResponse>, cb: sendUnaryData<GetEventsResponse>) => behaviour()(call, cb),
    getPresence: (_call: ServerUnaryCall<GetPresenceRequest, GetPresenceResponse>) => undefined,
  });
}

const page: GetEventsResponse = { events: [], headSeq: 7, hasMore: false };

function trailer(key: string, value: string): Metadata {
  const m = new Metadata();
  m.set(key, value);
  return m;
}

/** The value of one sample of the gRPC client histogram, e.g. its _count for a method and code. */
async function sample(metrics: MetricsService, name: string, labels: Record<string, string>): Promise<number | undefined> {
  const metric = (await metrics.registry.getMetricsAsJSON()).find((m) => m.name === 'gateway_grpc_client_duration_seconds');
  const values = (metric as { values: { metricName?: string; labels: Record<string, unknown>; value: number }[] } | undefined)?.values ?? [];
  return values.find((v) => v.metricName === name && Object.entries(labels).every(([k, want]) => v.labels[k] === want))?.value;
}

describe(GrpcClient.name, () => {
  const DEADLINE_MS = 300;
  let behaviour: Behaviour;
  let server: GrpcTestServer;
  let metrics: MetricsService;
  let sut: GrpcClient;
  before(async () => {
    server = await fakeRealtime(() => behaviour);
    metrics = new MetricsService();
    sut = new GrpcClient('realtime', server.target, DEADLINE_MS, metrics, credentials.createInsecure());
  });
  after(async () => {
    sut.close();
    await server.stop();
  });

  it('fails a call the service never answers at its deadline with DEADLINE_EXCEEDED, and times it', async () => {
    behaviour = () => undefined;
    const started = Date.now();
    const err = await sut.call(Rpc.getEvents, { roomId: 'r', afterSeq: 0, limit: 1 }).then(
      () => assert.fail('a call nobody answers resolved'),
      (e: unknown) => e,
    );
    const elapsed = Date.now() - started;
    assert.ok(err instanceof UpstreamError, String(err));
    assert.equal(err.code, GrpcStatus.DEADLINE_EXCEEDED);
    assert.equal(err.service, 'realtime');
    assert.equal(err.method, 'GetEvents');
    assert.ok(elapsed >= DEADLINE_MS - 20 && elapsed < DEADLINE_MS + 1500, `failed after ${elapsed} ms`);
    assert.equal(await sample(metrics, 'gateway_grpc_client_duration_seconds_count', { service: 'realtime', method: 'GetEvents', code: 'DEADLINE_EXCEEDED' }), 1);
  });

  it('honours a per-call deadline over the default', async () => {
    const started = Date.now();
    const err = await sut.call(Rpc.getPresence, { roomId: 'r' }, 50).catch((e: unknown) => e);
    assert.ok(err instanceof UpstreamError && err.code === GrpcStatus.DEADLINE_EXCEEDED, String(err));
    assert.ok(Date.now() - started < DEADLINE_MS, 'the shorter per-call deadline applied');
  });

  it('sends the deadline to the service (grpc-timeout), so the service stops work the caller gave up on', async () => {
    let seen: number | undefined;
    behaviour = (call, cb) => {
      const deadline = call.getDeadline(); // a Date or epoch milliseconds
      seen = (deadline instanceof Date ? deadline.getTime() : deadline) - Date.now();
      cb(null, page);
    };
    await sut.call(Rpc.getEvents, { roomId: 'r', afterSeq: 0, limit: 1 });
    assert.ok(seen !== undefined && seen > 0 && seen <= DEADLINE_MS, `the service saw ${seen} ms left`);
    await sut.call(Rpc.getEvents, { roomId: 'r', afterSeq: 0, limit: 1 }, 60_000);
    assert.ok(seen !== undefined && seen > DEADLINE_MS && seen <= 60_000, `the service saw ${seen} ms left of a 60 s call`);
  });

  it('resolves with the reply and the trailers the service sent', async () => {
    behaviour = (call, cb) => {
      assert.deepEqual(call.request, { roomId: 'room', afterSeq: 3, limit: 10 });
      cb(null, page, trailer('x-db-ms', '1.250'));
    };
    const { response, trailers } = await sut.callWithTrailers(Rpc.getEvents, { roomId: 'room', afterSeq: 3, limit: 10 });
    assert.deepEqual(response, page);
    assert.deepEqual(trailers.get('x-db-ms'), ['1.250']);
  });

  it('fails with an UpstreamError carrying the status, the details and the retry-after trailer', async () => {
    behaviour = (_call, cb) =>
      cb({ code: GrpcStatus.RESOURCE_EXHAUSTED, details: 'write queue is full: retry later', metadata: trailer('retry-after', '3') });
    const err = await sut.call(Rpc.getEvents, { roomId: 'r', afterSeq: 0, limit: 1 }).catch((e: unknown) => e);
    assert.ok(err instanceof UpstreamError, String(err));
    assert.equal(err.code, GrpcStatus.RESOURCE_EXHAUSTED);
    assert.equal(err.details, 'write queue is full: retry later');
    assert.equal(err.retryAfterSeconds, 3);
    assert.equal(err.message, 'realtime GetEvents: RESOURCE_EXHAUSTED: write queue is full: retry later');
  });

  it('fails with UNAVAILABLE when nothing listens on the target', async () => {
    const nowhere = new GrpcClient('tile-delta', `127.0.0.1:${await freePort()}`, DEADLINE_MS, metrics, credentials.createInsecure());
    try {
      const err = await nowhere.call(Rpc.getEvents, { roomId: 'r', afterSeq: 0, limit: 1 }).catch((e: unknown) => e);
      assert.ok(err instanceof UpstreamError, String(err));
      assert.equal(err.service, 'tile-delta');
      assert.equal(err.code, GrpcStatus.UNAVAILABLE);
    } finally {
      nowhere.close();
    }
  });
});

describe('a realtime-go that does not answer, through the gateway', () => {
  let server: GrpcTestServer;
  let gw: Gateway;
  before(async () => {
    server = await fakeRealtime(() => () => undefined);
    gw = await startGateway({ REALTIME_TARGET: server.target, GATEWAY_GRPC_DEADLINE_MS: '300' });
  });
  after(async () => {
    await gw.close();
    await server.stop();
  });

  it('is 504 after GATEWAY_GRPC_DEADLINE_MS, naming the service', async () => {
    const owner = await signup(gw.url, 'deadline');
    const roomId: string = (await owner.post('/api/rooms', { name: 'silent' })).json.id;
    for (const path of [`/api/rooms/${roomId}/events`, `/api/rooms/${roomId}/presence`]) {
      const res = await owner.get(path);
      assert.equal(res.status, 504, `${path}: ${res.text}`);
      assert.equal(res.json.message, 'realtime service did not answer in time');
    }
  });
});
