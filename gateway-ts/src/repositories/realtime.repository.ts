import { Injectable } from '@nestjs/common';
import {
  AuthorChangesResponse,
  CloseRoomResponse,
  DisconnectUserResponse,
  GetEventsResponse,
  GetPresenceResponse,
  IngestStrokesResponse,
  RealtimeServiceService as Rpc,
  RevertRequest,
  RevertResponse,
} from '../gen/infidraw/realtime/v1/realtime_service';
import { Stroke } from '../gen/infidraw/stroke/v1/stroke';
import { REALTIME_REPLY_BYTES } from '../gen/limits';
import { GrpcClient, GrpcClientFactory, HISTORY_DEADLINE_MS, WithTrailers } from './grpc-client';

/** realtime-go's control API (RealtimeService). */
@Injectable()
export class RealtimeRepository {
  private readonly grpc: GrpcClient;

  constructor(clients: GrpcClientFactory) {
    // realtime-go bounds a page of events by REALTIME_PAGE_BYTES (at most MAX_PAGE_BYTES) and its other
    // replies are small; grpc-js's default of 4 MiB would leave no margin at that maximum.
    this.grpc = clients.create('realtime', { 'grpc.max_receive_message_length': REALTIME_REPLY_BYTES });
  }

  /** A page of events, with the trailers that carry realtime-go's database time. */
  getEvents(roomId: string, afterSeq: number, limit: number): Promise<WithTrailers<GetEventsResponse>> {
    return this.grpc.callWithTrailers(Rpc.getEvents, { roomId, afterSeq, limit });
  }

  ingestStrokes(roomId: string, authorId: string, strokes: Stroke[]): Promise<IngestStrokesResponse> {
    return this.grpc.call(Rpc.ingestStrokes, { roomId, authorId, strokes });
  }

  /** The lists of the revert that undoes what an author did in the room after event sinceSeq. */
  authorChanges(roomId: string, authorId: string, sinceSeq: number): Promise<AuthorChangesResponse> {
    return this.grpc.call(Rpc.authorChanges, { roomId, authorId, sinceSeq }, HISTORY_DEADLINE_MS);
  }

  /** One action of its author that erases some strokes and restores others (16-byte ids). */
  revert(request: RevertRequest): Promise<RevertResponse> {
    return this.grpc.call(Rpc.revert, request, HISTORY_DEADLINE_MS);
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
