import { ApiProperty } from '@nestjs/swagger';
import { BanRow } from '../repositories/bans.repository';

export class BanDto {
  @ApiProperty({ format: 'uuid' }) userId!: string;
  @ApiProperty({ enum: ['user', 'guest'] }) kind!: 'user' | 'guest';
  @ApiProperty() displayName!: string;
  @ApiProperty({ type: String, format: 'date-time' }) bannedAt!: string;
}

export function mapBan(b: BanRow): BanDto {
  return { userId: b.userId, kind: b.kind, displayName: b.displayName, bannedAt: b.createdAt.toISOString() };
}
