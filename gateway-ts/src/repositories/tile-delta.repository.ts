import { Injectable } from '@nestjs/common';
import {
  GetSnapshotRequest,
  GetSnapshotResponse,
  GetTilesRequest,
  GetTilesResponse,
  HitStrokesRequest,
  HitStrokesResponse,
  PurgeRoomResponse,
  RegionChangesRequest,
  RegionChangesResponse,
  TileDeltaServiceService as Rpc,
  ViewAuthorsRequest,
  ViewAuthorsResponse,
} from '../gen/infidraw/tile/v1/tile';
import { GrpcClient, GrpcClientFactory, HISTORY_DEADLINE_MS } from './grpc-client';

/** tile-delta-go's TileDeltaService (GetTiles, GetSnapshot, HitStrokes, RegionChanges, ViewAuthors, PurgeRoom). */
@Injectable()
export class TileDeltaRepository {
  private readonly grpc: GrpcClient;

  constructor(clients: GrpcClientFactory) {
    // A viewport of 256 tiles with their deltas can be large.
    this.grpc = clients.create('tile-delta', { 'grpc.max_receive_message_length': 64 * 1024 * 1024 });
  }

  getTiles(request: GetTilesRequest): Promise<GetTilesResponse> {
    return this.grpc.call(Rpc.getTiles, request);
  }

  /** One snapshot PNG by its tile and coversSeq: the bytes, or a presigned URL when acceptUrl and tile-delta-go can sign one. */
  getSnapshot(request: GetSnapshotRequest): Promise<GetSnapshotResponse> {
    return this.grpc.call(Rpc.getSnapshot, request);
  }

  /** The visible strokes under a disk (world units x100), topmost first. */
  hitStrokes(request: HitStrokesRequest): Promise<HitStrokesResponse> {
    return this.grpc.call(Rpc.hitStrokes, request);
  }

  /** What restoring a region (world units x100) to the room as it was right after event atSeq changes. */
  regionChanges(request: RegionChangesRequest): Promise<RegionChangesResponse> {
    return this.grpc.call(Rpc.regionChanges, request, HISTORY_DEADLINE_MS);
  }

  /** Who drew in a viewport (world units x100) around event atSeq. */
  viewAuthors(request: ViewAuthorsRequest): Promise<ViewAuthorsResponse> {
    return this.grpc.call(Rpc.viewAuthors, request);
  }

  /** Deletes every tile snapshot of a room (rows and PNG objects); idempotent. */
  purgeRoom(roomId: string): Promise<PurgeRoomResponse> {
    return this.grpc.call(Rpc.purgeRoom, { roomId });
  }
}
