import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsRFC3339, Matches, Max, Min } from 'class-validator';
import { RegionQueryDto } from './export.dto';

/** The largest timelapse picture: 1920 x 1080 (full HD) a side, as tile-delta-go's Timelapse takes. */
export const TIMELAPSE_MAX_WIDTH = 1920;
export const TIMELAPSE_MAX_HEIGHT = 1080;
/** The smallest side libvpx encodes well, and the proto's lower bound. */
export const TIMELAPSE_MIN_SIDE = 16;
/** A progress token: chosen by the client, unguessable by others in the room when random. */
export const PROGRESS_TOKEN = /^[A-Za-z0-9_-]{16,64}$/;

const seqOrTime = (seq: 'from' | 'to') => {
  const what = seq === 'from' ? 'starts from the region right after event `from` (0 or absent: empty)' : 'ends at the region right after event `to` (absent: now)';
  return ApiPropertyOptional({ type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: `The video ${what}` });
};

/**
 * `GET /api/rooms/:id/timelapse?minX&minY&maxX&maxY&width[&from|fromTime][&to|toTime][&fps][&frames][&progress]`: a region being
 * drawn as a video (docs/contracts.md).
 */
export class TimelapseQueryDto extends RegionQueryDto {
  @ApiProperty({
    type: 'integer',
    minimum: TIMELAPSE_MIN_SIDE,
    maximum: TIMELAPSE_MAX_WIDTH,
    description: `Width of the video in pixels, even; the height follows the region, rounded to even (${TIMELAPSE_MIN_SIDE}..${TIMELAPSE_MAX_HEIGHT})`,
  })
  @Type(() => Number)
  @Min(TIMELAPSE_MIN_SIDE)
  @Max(TIMELAPSE_MAX_WIDTH)
  @IsInt()
  width!: number;

  @seqOrTime('from')
  @IsOptional()
  @Type(() => Number)
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  @IsInt()
  from?: number;

  @ApiPropertyOptional({ type: 'string', format: 'date-time', description: 'Instead of `from`: the region as it was at this time (RFC 3339)' })
  @IsOptional()
  @IsRFC3339()
  fromTime?: string;

  @seqOrTime('to')
  @IsOptional()
  @Type(() => Number)
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  @IsInt()
  to?: number;

  @ApiPropertyOptional({ type: 'string', format: 'date-time', description: 'Instead of `to`: the region as it was at this time (RFC 3339)' })
  @IsOptional()
  @IsRFC3339()
  toTime?: string;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 60, default: 30, description: 'Frames per second of the video' })
  @IsOptional()
  @Type(() => Number)
  @Min(1)
  @Max(60)
  @IsInt()
  fps?: number;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: 3600,
    default: 300,
    description: "Most frames: the region's events are spread evenly over min(events, frames) frames",
  })
  @IsOptional()
  @Type(() => Number)
  @Min(1)
  @Max(3600)
  @IsInt()
  frames?: number;

  @ApiPropertyOptional({
    type: 'string',
    pattern: '^[A-Za-z0-9_-]{16,64}$',
    description: 'A token the caller chose: GET /api/rooms/:id/timelapse/progress/{token} reports the frames done while this renders',
  })
  @IsOptional()
  @Matches(PROGRESS_TOKEN, { message: 'progress must be 16 to 64 letters, digits, - or _' })
  progress?: string;
}

/** The frames of a timelapse rendered so far. */
export class TimelapseProgressDto {
  @ApiProperty({ type: 'integer', description: 'Frames rendered and encoded so far' })
  framesDone!: number;

  @ApiProperty({ type: 'integer', description: 'Frames of the video (0 until the server has planned them)' })
  frames!: number;

  @ApiProperty({ enum: ['rendering', 'done', 'failed'], description: 'rendering, done (the video is being sent), or failed' })
  state!: 'rendering' | 'done' | 'failed';
}

/** The even height that keeps the region's aspect ratio at this width. */
export function timelapseHeight(q: TimelapseQueryDto): number {
  return 2 * Math.round((q.width * (q.maxY - q.minY)) / (q.maxX - q.minX) / 2);
}
