import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsRFC3339, Max, Min } from 'class-validator';

/**
 * `?at=` / `?atTime=` of the reads that can show a room as it was (issue 16, docs/contracts.md): at most one of
 * them; neither reads the room as it is now.
 */
export class PointInTimeQueryDto {
  @ApiPropertyOptional({
    type: 'integer',
    minimum: 0,
    maximum: Number.MAX_SAFE_INTEGER,
    description: 'The room as it was right after event `at` (0: before its first event). Beyond the head: the head.',
  })
  @IsOptional()
  @Type(() => Number)
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  @IsInt()
  at?: number;

  @ApiPropertyOptional({
    type: 'string',
    format: 'date-time',
    description: 'The room as it was at this time (RFC 3339): right after the last event committed by then',
  })
  @IsOptional()
  @IsRFC3339()
  atTime?: string;
}
