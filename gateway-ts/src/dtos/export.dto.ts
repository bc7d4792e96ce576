import { ApiProperty, IntersectionType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, Max, Min } from 'class-validator';
import { EXPORT_MAX_PIXELS, EXPORT_MAX_SIDE } from '../gen/limits';
import { PointInTimeQueryDto } from './point-in-time.dto';
import { MAX_VIEWPORT_COORD } from './tiles.dto';

const coord = (description: string) =>
  ApiProperty({ type: 'integer', minimum: -MAX_VIEWPORT_COORD, maximum: MAX_VIEWPORT_COORD, description });

/** `?minX&minY&maxX&maxY`: a region of the board in world units x100 (export, timelapse). */
export class RegionQueryDto {
  @coord('Region left edge, world units x100 (inclusive)')
  @Type(() => Number)
  @Min(-MAX_VIEWPORT_COORD)
  @Max(MAX_VIEWPORT_COORD)
  @IsInt()
  minX!: number;

  @coord('Region top edge, world units x100 (inclusive)')
  @Type(() => Number)
  @Min(-MAX_VIEWPORT_COORD)
  @Max(MAX_VIEWPORT_COORD)
  @IsInt()
  minY!: number;

  @coord('Region right edge, world units x100 (exclusive)')
  @Type(() => Number)
  @Min(-MAX_VIEWPORT_COORD)
  @Max(MAX_VIEWPORT_COORD)
  @IsInt()
  maxX!: number;

  @coord('Region bottom edge, world units x100 (exclusive)')
  @Type(() => Number)
  @Min(-MAX_VIEWPORT_COORD)
  @Max(MAX_VIEWPORT_COORD)
  @IsInt()
  maxY!: number;
}

export class ExportQueryDto extends IntersectionType(RegionQueryDto, PointInTimeQueryDto) {
  @ApiProperty({
    type: 'integer',
    minimum: 1,
    maximum: EXPORT_MAX_SIDE,
    description: `Width of the PNG in pixels; the height follows the region (at most ${EXPORT_MAX_SIDE} pixels, ${EXPORT_MAX_PIXELS / 2 ** 20} Mpx in all)`,
  })
  @Type(() => Number)
  @Min(1)
  @Max(EXPORT_MAX_SIDE)
  @IsInt()
  width!: number;
}

/** The height that keeps the region's aspect ratio at this width (at least 1 pixel). */
export function exportHeight(q: ExportQueryDto): number {
  return Math.max(1, Math.round((q.width * (q.maxY - q.minY)) / (q.maxX - q.minX)));
}
