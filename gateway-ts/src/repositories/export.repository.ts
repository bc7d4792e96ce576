import { Injectable } from '@nestjs/common';
import { ExportRegionRequest, ExportRegionResponse, TileDeltaServiceService as Rpc } from '../gen/infidraw/tile/v1/tile';
import { GrpcClient, GrpcClientFactory } from './grpc-client';

/** Rendering a region can take many tile renders: a longer deadline than the other calls. */
export const EXPORT_DEADLINE_MS = 60_000;

/** tile-delta-go's ExportRegion, on a channel of its own that takes replies as large as a picture. */
@Injectable()
export class ExportRepository {
  private readonly grpc: GrpcClient;

  constructor(clients: GrpcClientFactory) {
    // A 16 Mpx PNG of noise is at most 64 MiB plus framing.
    this.grpc = clients.create('tile-delta', { 'grpc.max_receive_message_length': 80 * 1024 * 1024 });
  }

  exportRegion(request: ExportRegionRequest): Promise<ExportRegionResponse> {
    return this.grpc.call(Rpc.exportRegion, request, EXPORT_DEADLINE_MS);
  }
}
