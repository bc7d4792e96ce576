import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { Metadata, status as GrpcStatus } from '@grpc/grpc-js';
import { CONFIG, GatewayConfig } from '../config';
import { ExportRegionRequest, ExportRegionResponse, TileDeltaServiceClient } from '../gen/infidraw/tile/v1/tile';
import { MetricsService } from '../services/metrics.service';
import { InternalCredentials } from './internal-credentials';

/** Rendering a region can take many tile renders: a longer deadline than the other calls. */
export const EXPORT_DEADLINE_MS = 60_000;

/** tile-delta-go's ExportRegion as a promise. */
@Injectable()
export class ExportRepository implements OnModuleDestroy {
  private readonly client: TileDeltaServiceClient;

  constructor(
    @Inject(CONFIG) config: GatewayConfig,
    private readonly metrics: MetricsService,
    internal: InternalCredentials,
  ) {
    this.client = new TileDeltaServiceClient(config.grpc.tileDelta, internal.channel, {
      'grpc.keepalive_time_ms': 30_000,
      'grpc.max_reconnect_backoff_ms': 5000,
      // A 16 Mpx PNG of noise is at most 64 MiB plus framing.
      'grpc.max_receive_message_length': 80 * 1024 * 1024,
    });
  }

  exportRegion(request: ExportRegionRequest): Promise<ExportRegionResponse> {
    const started = process.hrtime.bigint();
    return new Promise((resolve, reject) => {
      const deadline = new Date(Date.now() + EXPORT_DEADLINE_MS);
      this.client.exportRegion(request, new Metadata(), { deadline }, (err, res) => {
        const code = err ? err.code : GrpcStatus.OK;
        this.metrics.grpcDuration.observe(
          { method: 'ExportRegion', code: GrpcStatus[code] ?? String(code) },
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
