import { Injectable } from '@nestjs/common';
import {
  CloseRoomResponse,
  DisconnectUserResponse,
  GetEventsResponse,
  GetPresenceResponse,
  IngestStrokesResponse,
  RealtimeServiceService as Rpc,
} from '../gen/infidraw/realtime/v1/realtime_service';
import { Stroke } from '../gen/infidraw/stroke/v1/stroke';
import { GrpcClient, GrpcClientFactory, WithTrailers } from './grpc-client';

/**
 * The largest reply the gateway takes from realtime-go. realtime-go bounds a page of events by
 * REALTIME_PAGE_BYTES (1 MiB by default, at most 3 MiB) and its other replies are small; grpc-js's
 * default of 4 MiB would leave no margin at that maximum.
 */
export const REALTIME_MAX_RECEIVE_BYTES = 8 * 1024 * 1024;

/** realtime-go's control API (RealtimeService). */
@Injectable()
export class RealtimeRepository {
  private readonly grpc: GrpcClient;

  constructor(clients: GrpcClientFactory) {
    this.grpc = clients.create('realtime', { 'grpc.max_receive_message_length': REALTIME_MAX_RECEIVE_BYTES });
  }

  /** A page of events, with the trailers that carry realtime-go's database time. */
  getEvents(roomId: string, afterSeq: number, limit: number): Promise<WithTrailers<GetEventsResponse>> {
    return this.grpc.callWithTrailers(Rpc.getEvents, { roomId, afterSeq, limit });
  }

  ingestStrokes(roomId: string, authorId: string, strokes: Stroke[]): Promise<IngestStrokesResponse> {
    return this.grpc.call(Rpc.ingestStrokes, { roomId, authorId, strokes });
  }

  getPresence(roomId: string): Promise<GetPresenceResponse> {
    return this.grpc.call(Rpc.getPresence, { roomId });
  }

  closeRoom(roomId: string, purge: boolean): Promise<CloseRoomResponse> {
    return this.grpc.call(Rpc.closeRoom, { roomId, purge });
  }

  disconnectUser(roomId: string, userId: string): Promise<DisconnectUserResponse> {
    return this.grpc.call(Rpc.disconnectUser, { roomId, userId });
  }
}
