import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { CallOptions, ClientUnaryCall, Metadata, ServiceError, status as GrpcStatus, StatusObject } from '@grpc/grpc-js';
import { MetricsService } from '../services/metrics.service';
import { CONFIG, GatewayConfig } from '../config';
import { InternalCredentials } from './internal-credentials';
import {
  CloseRoomResponse,
  DisconnectUserResponse,
  GetEventsResponse,
  GetPresenceResponse,
  IngestStrokesResponse,
  RealtimeServiceClient,
} from '../gen/infidraw/realtime/v1/realtime_service';
import { Stroke } from '../gen/infidraw/stroke/v1/stroke';
import { REALTIME_REPLY_BYTES } from '../gen/limits';

/** A gRPC reply with the trailing metadata the server sent (timings). */
export interface WithTrailers<T> {
  response: T;
  trailers: Metadata | undefined;
}

type Callback<Res> = (err: ServiceError | null, res: Res) => void;
type Invoke<Res> = (meta: Metadata, opts: Partial<CallOptions>, cb: Callback<Res>) => ClientUnaryCall;

/** realtime-go's control API (RealtimeService) as promises with deadlines. */
@Injectable()
export class RealtimeRepository implements OnModuleDestroy {
  private readonly client: RealtimeServiceClient;

  constructor(
    @Inject(CONFIG) private readonly config: GatewayConfig,
    private readonly metrics: MetricsService,
    internal: InternalCredentials,
  ) {
    this.client = new RealtimeServiceClient(config.grpc.realtime, internal.channel, {
      'grpc.keepalive_time_ms': 30_000,
      // Reconnect within seconds once realtime-go is back, not after grpc-js's default 2-minute backoff.
      'grpc.max_reconnect_backoff_ms': 5000,
      // realtime-go bounds a page of events by REALTIME_PAGE_BYTES (at most MAX_PAGE_BYTES) and its other
      // replies are small; grpc-js's default of 4 MiB would leave no margin at that maximum.
      'grpc.max_receive_message_length': REALTIME_REPLY_BYTES,
    });
  }

  /** Makes one unary call with the configured deadline; resolves with the reply and its trailers. */
  private call<Res>(method: string, invoke: Invoke<Res>): Promise<WithTrailers<Res>> {
    const started = process.hrtime.bigint();
    const observe = (code: number) =>
      this.metrics.grpcDuration.observe({ method, code: GrpcStatus[code] ?? String(code) }, Number(process.hrtime.bigint() - started) / 1e9);
    return new Promise((resolve, reject) => {
      let trailers: Metadata | undefined;
      let result: { res: Res } | undefined;
      const settle = () => {
        if (result && trailers) resolve({ response: result.res, trailers });
      };
      const deadline = new Date(Date.now() + this.config.grpc.deadlineMs);
      const call = invoke(new Metadata(), { deadline }, (err, res) => {
        observe(err ? err.code : GrpcStatus.OK);
        if (err) return reject(err);
        result = { res };
        settle();
      });
      // grpc-js emits the status (with trailers) right after the callback; either order works here.
      call.on('status', (status: StatusObject) => {
        trailers = status.metadata;
        settle();
      });
    });
  }

  getEvents(roomId: string, afterSeq: number, limit: number): Promise<WithTrailers<GetEventsResponse>> {
    return this.call('GetEvents', (m, o, cb) => this.client.getEvents({ roomId, afterSeq, limit }, m, o, cb));
  }

  async ingestStrokes(roomId: string, authorId: string, strokes: Stroke[]): Promise<IngestStrokesResponse> {
    return (await this.call<IngestStrokesResponse>('IngestStrokes', (m, o, cb) => this.client.ingestStrokes({ roomId, authorId, strokes }, m, o, cb))).response;
  }

  async getPresence(roomId: string): Promise<GetPresenceResponse> {
    return (await this.call<GetPresenceResponse>('GetPresence', (m, o, cb) => this.client.getPresence({ roomId }, m, o, cb))).response;
  }

  async closeRoom(roomId: string, purge: boolean): Promise<CloseRoomResponse> {
    return (await this.call<CloseRoomResponse>('CloseRoom', (m, o, cb) => this.client.closeRoom({ roomId, purge }, m, o, cb))).response;
  }

  async disconnectUser(roomId: string, userId: string): Promise<DisconnectUserResponse> {
    return (await this.call<DisconnectUserResponse>('DisconnectUser', (m, o, cb) => this.client.disconnectUser({ roomId, userId }, m, o, cb))).response;
  }

  onModuleDestroy() {
    this.client.close();
  }
}
