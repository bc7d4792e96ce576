import { Injectable } from '@nestjs/common';
import { TimelapseRequest, TimelapseResponse, TileDeltaServiceService as Rpc } from '../gen/infidraw/tile/v1/tile';
import { GrpcClient, GrpcClientFactory } from './grpc-client';
import { RedisRepository } from './redis.repository';
import type { TimelapseProgressDto } from '../dtos/timelapse.dto';

/** A timelapse of thousands of frames takes tens of seconds to render and encode. */
export const TIMELAPSE_DEADLINE_MS = 10 * 60_000;
/** How long a progress record outlives its last update: long enough for a client to read that it ended. */
const PROGRESS_TTL_SECONDS = 600;

/** tile-delta-go's Timelapse stream (its parts are at most 1 MiB each, within the default receive limit). */
@Injectable()
export class TimelapseRepository {
  private readonly grpc: GrpcClient;

  constructor(clients: GrpcClientFactory) {
    this.grpc = clients.create('tile-delta');
  }

  timelapse(request: TimelapseRequest): AsyncGenerator<TimelapseResponse> {
    return this.grpc.stream(Rpc.timelapse, request, TIMELAPSE_DEADLINE_MS);
  }
}

/**
 * Progress of the timelapses being rendered, by the token their caller chose, in Redis: any gateway replica
 * answers the polls of a render that another one runs.
 */
@Injectable()
export class TimelapseProgressRepository {
  constructor(private readonly redis: RedisRepository) {}

  async set(roomId: string, token: string, progress: TimelapseProgressDto): Promise<void> {
    await this.redis.client.set(key(roomId, token), JSON.stringify(progress), 'EX', PROGRESS_TTL_SECONDS);
  }

  async get(roomId: string, token: string): Promise<TimelapseProgressDto | undefined> {
    const value = await this.redis.client.get(key(roomId, token));
    return value === null ? undefined : (JSON.parse(value) as TimelapseProgressDto);
  }
}

const key = (roomId: string, token: string) => `timelapse-progress:${roomId}:${token}`;
