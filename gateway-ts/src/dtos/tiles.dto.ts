import { applyDecorators, BadRequestException, PipeTransform } from '@nestjs/common';
import { ApiParam, ApiProduces, ApiProperty, ApiResponse, IntersectionType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsInt, Max, Min, ValidateNested } from 'class-validator';
import { FormatQueryDto } from './format.dto';
import { PointInTimeQueryDto } from './point-in-time.dto';
import { MAX_COORD, MAX_LEVEL } from '../gen/limits';

/** A viewport edge may lie beyond the coordinate range (|v| <= MAX_COORD in world units x100), within reason. */
export const MAX_VIEWPORT_COORD = 10 * MAX_COORD;

const coord = (description: string) =>
  ApiProperty({ type: 'integer', minimum: -MAX_VIEWPORT_COORD, maximum: MAX_VIEWPORT_COORD, description });

/** `?level&minX&minY&maxX&maxY`: a viewport (world units x100) at one pyramid level. */
export class ViewportQueryDto {
  @ApiProperty({ type: 'integer', minimum: 0, maximum: MAX_LEVEL, description: 'Pyramid level (docs/tiles.md)' })
  @Type(() => Number)
  @Min(0)
  @Max(MAX_LEVEL)
  @IsInt()
  level!: number;

  @coord('Viewport left edge, world units x100 (inclusive)')
  @Type(() => Number)
  @Min(-MAX_VIEWPORT_COORD)
  @Max(MAX_VIEWPORT_COORD)
  @IsInt()
  minX!: number;

  @coord('Viewport top edge, world units x100 (inclusive)')
  @Type(() => Number)
  @Min(-MAX_VIEWPORT_COORD)
  @Max(MAX_VIEWPORT_COORD)
  @IsInt()
  minY!: number;

  @coord('Viewport right edge, world units x100 (exclusive)')
  @Type(() => Number)
  @Min(-MAX_VIEWPORT_COORD)
  @Max(MAX_VIEWPORT_COORD)
  @IsInt()
  maxX!: number;

  @coord('Viewport bottom edge, world units x100 (exclusive)')
  @Type(() => Number)
  @Min(-MAX_VIEWPORT_COORD)
  @Max(MAX_VIEWPORT_COORD)
  @IsInt()
  maxY!: number;
}

export class TilesQueryDto extends IntersectionType(FormatQueryDto, PointInTimeQueryDto, ViewportQueryDto) {}

/** Tile indices fit in int32 (docs/tiles.md). */
const INT32 = 2 ** 31 - 1;
/** tile-delta-go answers at most this many tiles per GetTiles. */
export const MAX_KNOWN_TILES = 256;

/** One tile of the list and the sequence number the client already holds for it (0: nothing). */
export class KnownTileDto {
  @ApiProperty({ type: 'integer', minimum: -INT32 - 1, maximum: INT32, description: 'Tile column at the level' })
  @Min(-INT32 - 1)
  @Max(INT32)
  @IsInt()
  x!: number;

  @ApiProperty({ type: 'integer', minimum: -INT32 - 1, maximum: INT32, description: 'Tile row at the level' })
  @Min(-INT32 - 1)
  @Max(INT32)
  @IsInt()
  y!: number;

  @ApiProperty({
    type: 'integer',
    minimum: 0,
    maximum: Number.MAX_SAFE_INTEGER,
    description: 'Highest sequence number the client holds for the tile; 0 for nothing',
  })
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  @IsInt()
  coversSeq!: number;
}

/** Body of POST /api/rooms/{id}/tiles/known: an explicit tile list of one level. */
export class KnownTilesDto {
  @ApiProperty({ type: 'integer', minimum: 0, maximum: MAX_LEVEL, description: 'Pyramid level of every listed tile' })
  @Min(0)
  @Max(MAX_LEVEL)
  @IsInt()
  level!: number;

  @ApiProperty({ type: [KnownTileDto], minItems: 1, maxItems: MAX_KNOWN_TILES, description: 'Distinct tiles of that level' })
  @ValidateNested({ each: true })
  @Type(() => KnownTileDto)
  @ArrayMaxSize(MAX_KNOWN_TILES)
  @ArrayMinSize(1)
  @IsArray()
  tiles!: KnownTileDto[];
}

/** GetTilesResponse in proto3 JSON; each snapshot carries the URL of its PNG in `url` (never an object key). */
export class TilesJsonDto {
  @ApiProperty({ description: 'Highest sequence number of the room when read; join the WebSocket with last_seq = headSeq' })
  headSeq!: number;
  @ApiProperty({
    type: 'array',
    items: { type: 'object' },
    description:
      'infidraw.tile.v1.TileDelta in proto3 JSON: coord, snapshot {url: "/api/rooms/{id}/tiles/{level}/{x}/{y}/{coversSeq}.png", ' +
      'coversSeq, sizeBytes} when there is one (its `key` left empty), strokes drawn after it, coversSeq',
  })
  tiles!: unknown[];
}

/** A path segment that must be an integer in [min, max] (400 naming it otherwise). */
export class IntParamPipe implements PipeTransform<string, number> {
  constructor(
    private readonly name: string,
    private readonly min: number,
    private readonly max: number,
  ) {}

  transform(value: string): number {
    const n = /^-?\d{1,16}$/.test(value) ? Number(value) : NaN;
    if (!Number.isSafeInteger(n) || n < this.min || n > this.max) {
      throw new BadRequestException(`${this.name} must be an integer from ${this.min} to ${this.max}`);
    }
    return n;
  }
}

export const levelParam = () => new IntParamPipe('level', 0, MAX_LEVEL);
export const tileIndexParam = (name: string) => new IntParamPipe(name, -INT32 - 1, INT32);
export const coversSeqParam = () => new IntParamPipe('coversSeq', 1, Number.MAX_SAFE_INTEGER);

/** The URL a browser fetches a snapshot from. */
export function snapshotUrl(roomId: string, level: number, x: number, y: number, coversSeq: number): string {
  return `/api/rooms/${roomId}/tiles/${level}/${x}/${y}/${coversSeq}.png`;
}

/** Documents a snapshot PNG route's tile parameters and its answers (the PNG, a redirect, not modified). */
export const SnapshotPngDocs = () =>
  applyDecorators(
    ApiParam({ name: 'level', schema: { type: 'integer', minimum: 0, maximum: 16 } }),
    ApiParam({ name: 'x', schema: { type: 'integer' } }),
    ApiParam({ name: 'y', schema: { type: 'integer' } }),
    ApiParam({ name: 'coversSeq', schema: { type: 'integer', minimum: 1 } }),
    ApiProduces('image/png'),
    ApiResponse({ status: 200, content: { 'image/png': { schema: { type: 'string', format: 'binary' } } } }),
    ApiResponse({ status: 302, description: 'Found: the PNG is at the presigned URL in Location' }),
    ApiResponse({ status: 304, description: 'Not modified' }),
  );
