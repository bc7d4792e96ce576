import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsString, Length } from 'class-validator';
import { RoomAccessRow } from '../repositories/rooms.repository';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

export const ROLES = ['owner', 'editor', 'viewer'] as const;
export const GRANTABLE_ROLES = ['editor', 'viewer'] as const;

export class CreateRoomDto {
  @ApiProperty({ minLength: 1, maxLength: 100, example: 'Sprint planning' })
  @Transform(trim)
  @Length(1, 100)
  @IsString()
  name!: string;
}

export class UpdateRoomDto {
  @ApiProperty({ minLength: 1, maxLength: 100, example: 'Sprint planning (old)' })
  @Transform(trim)
  @Length(1, 100)
  @IsString()
  name!: string;
}

export class RoomOwnerDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() displayName!: string;
}

export class RoomDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ enum: ROLES, description: "The caller's role" }) role!: (typeof ROLES)[number];
  @ApiProperty({ type: RoomOwnerDto }) owner!: RoomOwnerDto;
  @ApiProperty({ type: String, format: 'date-time' }) createdAt!: string;
  @ApiProperty({ type: String, format: 'date-time' }) updatedAt!: string;
  @ApiProperty({ type: String, format: 'date-time', description: 'Latest change of the room or its drawing' })
  lastActivityAt!: string;
}

export function mapRoom(r: RoomAccessRow): RoomDto {
  return {
    id: r.id,
    name: r.name,
    role: r.role,
    owner: { id: r.ownerId, displayName: r.ownerName },
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
    lastActivityAt: r.lastActivityAt.toISOString(),
  };
}

export class RoomTokenResponseDto {
  @ApiProperty({ description: 'EdDSA JWT for Join.token on /ws (docs/contracts.md)' }) token!: string;
  @ApiProperty({ type: String, format: 'date-time' }) expiresAt!: string;
  @ApiProperty({ format: 'uuid' }) roomId!: string;
  @ApiProperty({ enum: ROLES }) role!: (typeof ROLES)[number];
  @ApiProperty({ example: 'ws://localhost:8081/ws', description: "realtime-go's WebSocket URL" }) wsUrl!: string;
}
