import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { credentials, Metadata, status as GrpcStatus } from '@grpc/grpc-js';
import { CONFIG, GatewayConfig } from '../config';
import { GetTilesRequest, GetTilesResponse, TileDeltaServiceClient } from '../gen/infidraw/tile/v1/tile';
import { MetricsService } from '../services/metrics.service';

/** tile-delta-go's TileDeltaService (GetTiles) as a promise with the configured deadline. */
@Injectable()
export class TileDeltaRepository implements OnModuleDestroy {
  private readonly client: TileDeltaServiceClient;

  constructor(
    @Inject(CONFIG) private readonly config: GatewayConfig,
    private readonly metrics: MetricsService,
  ) {
    this.client = new TileDeltaServiceClient(config.grpc.tileDelta, credentials.createInsecure(), {
      'grpc.keepalive_time_ms': 30_000,
      'grpc.max_reconnect_backoff_ms': 5000,
      // A viewport of 256 tiles with their deltas can be large.
      'grpc.max_receive_message_length': 64 * 1024 * 1024,
    });
  }

  getTiles(request: GetTilesRequest): Promise<GetTilesResponse> {
    const started = process.hrtime.bigint();
    return new Promise((resolve, reject) => {
      const deadline = new Date(Date.now() + this.config.grpc.deadlineMs);
      this.client.getTiles(request, new Metadata(), { deadline }, (err, res) => {
        const code = err ? err.code : GrpcStatus.OK;
        this.metrics.grpcDuration.observe(
          { method: 'GetTiles', code: GrpcStatus[code] ?? String(code) },
          Number(process.hrtime.bigint() - started) / 1e9,
        );
        if (err) reject(err);
        else resolve(res);
      });
    });
  }

  onModuleDestroy() {
    this.client.close();
  }
}
