import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { GetPresenceResponse } from '../gen/infidraw/realtime/v1/realtime_service';
import { Role } from '../gen/infidraw/room/v1/event';
import { ROLES } from './rooms.dto';
import { FormatQueryDto } from './format.dto';

export const MAX_EVENTS_PAGE = 10_000;

export class EventsQueryDto extends FormatQueryDto {
  @ApiPropertyOptional({ minimum: 0, default: 0, description: 'Return events with seq > since' })
  @IsOptional()
  @Type(() => Number)
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  @IsInt()
  since?: number;

  @ApiPropertyOptional({ minimum: 1, maximum: MAX_EVENTS_PAGE, description: "Page size; absent means realtime-go's default" })
  @IsOptional()
  @Type(() => Number)
  @Min(1)
  @Max(MAX_EVENTS_PAGE)
  @IsInt()
  limit?: number;
}

/** GetEventsResponse in its proto3 JSON form (bytes as base64, 64-bit integers as numbers). */
export class EventsJsonDto {
  @ApiProperty({ type: 'array', items: { type: 'object' }, description: 'infidraw.room.v1.RoomEvent in proto3 JSON' })
  events!: unknown[];
  @ApiProperty() headSeq!: number;
  @ApiProperty() hasMore!: boolean;
}

export class PeerDto {
  @ApiProperty() sessionId!: number;
  @ApiProperty({ format: 'uuid' }) userId!: string;
  @ApiProperty() displayName!: string;
  @ApiProperty({ enum: ROLES }) role!: string;
}

export class PresenceDto {
  @ApiProperty({ type: [PeerDto] }) peers!: PeerDto[];
}

const ROLE_NAMES: Partial<Record<Role, string>> = {
  [Role.ROLE_VIEWER]: 'viewer',
  [Role.ROLE_EDITOR]: 'editor',
  [Role.ROLE_OWNER]: 'owner',
};

export function mapPresence(r: GetPresenceResponse): PresenceDto {
  return {
    peers: r.peers.map((p) => ({
      sessionId: p.sessionId,
      userId: p.userId,
      displayName: p.displayName,
      role: ROLE_NAMES[p.role] ?? 'unknown',
    })),
  };
}
