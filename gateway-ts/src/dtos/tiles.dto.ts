import { BadRequestException, PipeTransform } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, Max, Min } from 'class-validator';

/** docs/tiles.md: levels 0..16. */
export const MAX_LEVEL = 16;
/** A viewport edge may lie beyond the coordinate range (|v| <= 1e9 in world units x100), within reason. */
export const MAX_VIEWPORT_COORD = 10_000_000_000;

const coord = (description: string) =>
  ApiProperty({ type: 'integer', minimum: -MAX_VIEWPORT_COORD, maximum: MAX_VIEWPORT_COORD, description });

export class TilesQueryDto {
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

  @ApiPropertyOptional({ enum: ['protobuf', 'json'], description: 'Overrides the Accept header' })
  @IsOptional()
  @IsIn(['protobuf', 'json'])
  format?: 'protobuf' | 'json';
}

/** GetTilesResponse in proto3 JSON; each snapshot's `key` is replaced by the URL of its PNG. */
export class TilesJsonDto {
  @ApiProperty({ description: 'Highest sequence number of the room when read; join the WebSocket with last_seq = headSeq' })
  headSeq!: number;
  @ApiProperty({
    type: 'array',
    items: { type: 'object' },
    description:
      'infidraw.tile.v1.TileDelta in proto3 JSON: coord, snapshot {key: "/api/rooms/{id}/tiles/{level}/{x}/{y}/{coversSeq}.png", ' +
      'coversSeq, sizeBytes} when there is one, strokes drawn after it, coversSeq',
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

/** Tile indices fit in int32 (docs/tiles.md). */
const INT32 = 2 ** 31 - 1;
export const levelParam = () => new IntParamPipe('level', 0, MAX_LEVEL);
export const tileIndexParam = (name: string) => new IntParamPipe(name, -INT32 - 1, INT32);
export const coversSeqParam = () => new IntParamPipe('coversSeq', 1, Number.MAX_SAFE_INTEGER);

/** The object key tile-delta-go stores a snapshot under (tile-delta-go/README.md). */
export function snapshotKey(roomId: string, level: number, x: number, y: number, coversSeq: number): string {
  return `rooms/${roomId}/${level}/${x}_${y}/${coversSeq}.png`;
}

/** The URL a browser fetches a snapshot from. */
export function snapshotUrl(roomId: string, level: number, x: number, y: number, coversSeq: number): string {
  return `/api/rooms/${roomId}/tiles/${level}/${x}/${y}/${coversSeq}.png`;
}
