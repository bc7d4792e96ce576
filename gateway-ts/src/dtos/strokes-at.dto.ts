import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsNumber, Max, Min } from 'class-validator';
import { FormatQueryDto } from './format.dto';
import { COORD_SCALE, MAX_COORD, MAX_HIT_RADIUS as MAX_HIT_RADIUS_ENCODED } from '../gen/limits';

/** The coordinate range (docs/tiles.md) in world units: 10 million. */
export const MAX_WORLD = MAX_COORD / COORD_SCALE;
/** tile-delta-go HitStrokes: radius 1 encoded unit .. MAX_HIT_RADIUS, here in world units (0.01 .. 1,000,000). */
export const MIN_HIT_RADIUS = 1 / COORD_SCALE;
export const MAX_HIT_RADIUS = MAX_HIT_RADIUS_ENCODED / COORD_SCALE;

/** A query value as a number; an empty or blank value is not 0 but missing (NaN fails IsNumber). */
const toNumber = () => Transform(({ value }) => (typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN));
const finite = { allowNaN: false, allowInfinity: false } as const;

/** `?x=&y=&r=` of GET /api/rooms/{id}/strokes/at: a disk in world units (floats). */
export class StrokesAtQueryDto extends FormatQueryDto {
  @ApiProperty({ type: 'number', minimum: -MAX_WORLD, maximum: MAX_WORLD, description: 'Centre x, world units' })
  @toNumber()
  @Min(-MAX_WORLD)
  @Max(MAX_WORLD)
  @IsNumber(finite)
  x!: number;

  @ApiProperty({ type: 'number', minimum: -MAX_WORLD, maximum: MAX_WORLD, description: 'Centre y, world units' })
  @toNumber()
  @Min(-MAX_WORLD)
  @Max(MAX_WORLD)
  @IsNumber(finite)
  y!: number;

  @ApiProperty({ type: 'number', minimum: MIN_HIT_RADIUS, maximum: MAX_HIT_RADIUS, description: 'Radius, world units' })
  @toNumber()
  @Min(MIN_HIT_RADIUS)
  @Max(MAX_HIT_RADIUS)
  @IsNumber(finite)
  r!: number;
}

/** HitStrokesResponse in proto3 JSON. */
export class StrokesAtJsonDto {
  @ApiProperty({
    type: 'array',
    items: { type: 'object' },
    description:
      'infidraw.stroke.v1.Stroke in proto3 JSON (id base64, tool, rgba, width, quantum, points, pressures): the visible pen and ' +
      'highlighter strokes whose ink the disk touches, topmost first, at most 64',
  })
  strokes!: unknown[];
  @ApiProperty({ description: 'Highest sequence number of the room when read' })
  headSeq!: number;
  @ApiPropertyOptional({ description: 'true when not every stroke under the disk may be listed: erase these and ask again' })
  partial?: boolean;
  @ApiPropertyOptional({ description: 'Pyramid level whose tiles were read (0 unless the disk is wider than 256 world units)' })
  level?: number;
}
