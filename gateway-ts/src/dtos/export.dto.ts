import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, Max, Min } from 'class-validator';
import { MAX_VIEWPORT_COORD } from './tiles.dto';

/** tile-delta-go ExportRegion's bounds: each side at most 4096 pixels, at most 16 Mpx in all. */
export const MAX_EXPORT_SIDE = 4096;
export const MAX_EXPORT_PIXELS = 16 * 1024 * 1024;

const coord = (description: string) =>
  ApiProperty({ type: 'integer', minimum: -MAX_VIEWPORT_COORD, maximum: MAX_VIEWPORT_COORD, description });

export class ExportQueryDto {
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

  @ApiProperty({
    type: 'integer',
    minimum: 1,
    maximum: MAX_EXPORT_SIDE,
    description: 'Width of the PNG in pixels; the height follows the region (at most 4096 pixels, 16 Mpx in all)',
  })
  @Type(() => Number)
  @Min(1)
  @Max(MAX_EXPORT_SIDE)
  @IsInt()
  width!: number;
}

/** The height that keeps the region's aspect ratio at this width (at least 1 pixel). */
export function exportHeight(q: ExportQueryDto): number {
  return Math.max(1, Math.round((q.width * (q.maxY - q.minY)) / (q.maxX - q.minX)));
}
