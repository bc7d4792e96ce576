import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { CallOptions, ClientUnaryCall, Metadata, ServiceError, status as GrpcStatus } from '@grpc/grpc-js';
import { CONFIG, GatewayConfig } from '../config';
import {
  GetTilesRequest,
  GetTilesResponse,
  HitStrokesRequest,
  HitStrokesResponse,
  PurgeRoomResponse,
  TileDeltaServiceClient,
} from '../gen/infidraw/tile/v1/tile';
import { MetricsService } from '../services/metrics.service';
import { InternalCredentials } from './internal-credentials';

type Callback<Res> = (err: ServiceError | null, res: Res) => void;
type Invoke<Res> = (meta: Metadata, opts: Partial<CallOptions>, cb: Callback<Res>) => ClientUnaryCall;

/** tile-delta-go's TileDeltaService (GetTiles, HitStrokes, PurgeRoom) as promises with the configured deadline. */
@Injectable()
export class TileDeltaRepository implements OnModuleDestroy {
  private readonly client: TileDeltaServiceClient;

  constructor(
    @Inject(CONFIG) private readonly config: GatewayConfig,
    private readonly metrics: MetricsService,
    internal: InternalCredentials,
  ) {
    this.client = new TileDeltaServiceClient(config.grpc.tileDelta, internal.channel, {
      'grpc.keepalive_time_ms': 30_000,
      'grpc.max_reconnect_backoff_ms': 5000,
      // A viewport of 256 tiles with their deltas can be large.
      'grpc.max_receive_message_length': 64 * 1024 * 1024,
    });
  }

  /** Makes one unary call with the configured deadline, observing its duration. */
  private call<Res>(method: string, invoke: Invoke<Res>): Promise<Res> {
    const started = process.hrtime.bigint();
    return new Promise((resolve, reject) => {
      const deadline = new Date(Date.now() + this.config.grpc.deadlineMs);
      invoke(new Metadata(), { deadline }, (err, res) => {
        const code = err ? err.code : GrpcStatus.OK;
        this.metrics.grpcDuration.observe({ method, code: GrpcStatus[code] ?? String(code) }, Number(process.hrtime.bigint() - started) / 1e9);
        if (err) reject(err);
        else resolve(res);
      });
    });
  }

  getTiles(request: GetTilesRequest): Promise<GetTilesResponse> {
    return this.call('GetTiles', (m, o, cb) => this.client.getTiles(request, m, o, cb));
  }

  /** The visible strokes under a disk (world units x100), topmost first. */
  hitStrokes(request: HitStrokesRequest): Promise<HitStrokesResponse> {
    return this.call('HitStrokes', (m, o, cb) => this.client.hitStrokes(request, m, o, cb));
  }

  /** Deletes every tile snapshot of a room (rows and PNG objects); idempotent. */
  purgeRoom(roomId: string): Promise<PurgeRoomResponse> {
    return this.call('PurgeRoom', (m, o, cb) => this.client.purgeRoom({ roomId }, m, o, cb));
  }

  onModuleDestroy() {
    this.client.close();
  }
}
