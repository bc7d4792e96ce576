import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { ViewportQueryDto } from './tiles.dto';

/** tile-delta-go ViewAuthors: the window spans 1..MAX_AUTHORS_SPAN events on each side of the point. */
export const MAX_AUTHORS_SPAN = 10_000;
export const DEFAULT_AUTHORS_SPAN = 100;

/** `?level&minX&minY&maxX&maxY&at[&span]` of GET /api/rooms/{id}/authors. */
export class ViewAuthorsQueryDto extends ViewportQueryDto {
  @ApiProperty({ type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'The point: a seq (0: before the first event)' })
  @Type(() => Number)
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  @IsInt()
  at!: number;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: MAX_AUTHORS_SPAN,
    default: DEFAULT_AUTHORS_SPAN,
    description: 'Events before and after the point: the window is (at - span, at + span]',
  })
  @IsOptional()
  @Type(() => Number)
  @Min(1)
  @Max(MAX_AUTHORS_SPAN)
  @IsInt()
  span?: number;
}

export class ViewAuthorDto {
  @ApiProperty({ format: 'uuid' })
  userId!: string;
  @ApiProperty({ description: "The user's or guest's display name; empty when the user is gone" })
  displayName!: string;
  @ApiProperty({ description: 'Their events touching the view in the window, each once' })
  events!: number;
  @ApiProperty({ description: 'Their last such event' })
  lastSeq!: number;
}

export class ViewAuthorsDto {
  @ApiProperty({ description: 'The point asked about' })
  atSeq!: number;
  @ApiProperty({ type: [ViewAuthorDto], description: 'Most events first' })
  authors!: ViewAuthorDto[];
  @ApiProperty({ description: 'A tile held more than 1,024 index entries in the window: its older events were not counted' })
  partial!: boolean;
}
