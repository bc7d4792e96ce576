import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, IsRFC3339, IsUUID, Max, Min } from 'class-validator';
import { MAX_COORD } from '../gen/limits';

// applyDecorators registers the validators in order, and the first that fails is the message (stopAtFirstError):
// the type first.

/** A region edge lies in the world: |v| <= MAX_COORD (world units x100), an exclusive max edge up to one more. */
const edge = (description: string) =>
  applyDecorators(ApiProperty({ type: 'integer', minimum: -MAX_COORD, maximum: MAX_COORD + 1, description }), IsInt(), Min(-MAX_COORD), Max(MAX_COORD + 1));
/** A point as a seq (JSON numbers only: the body is not a query string). */
const seq = (description: string) =>
  applyDecorators(
    ApiPropertyOptional({ type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description }),
    IsOptional(),
    IsInt(),
    Min(0),
    Max(Number.MAX_SAFE_INTEGER),
  );
const time = (description: string) =>
  applyDecorators(ApiPropertyOptional({ type: 'string', format: 'date-time', description }), IsOptional(), IsRFC3339());

/** POST /api/rooms/:id/restore: a region (world units x100, like export) and the point to restore it to. */
export class RestoreRegionDto {
  @edge('Region left edge, world units x100 (inclusive)') minX!: number;
  @edge('Region top edge, world units x100 (inclusive)') minY!: number;
  @edge('Region right edge, world units x100 (exclusive)') maxX!: number;
  @edge('Region bottom edge, world units x100 (exclusive)') maxY!: number;
  @seq('Restore the region to the room as it was right after event `at` (0: before its first event); this or atTime')
  at?: number;
  @time('Restore the region to the room as it was at this time (RFC 3339): right after the last event committed by then')
  atTime?: string;
}

/** POST /api/rooms/:id/revert: whose changes since when to undo. */
export class RevertPersonDto {
  @ApiProperty({ format: 'uuid', description: 'The member or guest (current or removed) whose changes to undo' })
  @IsUUID('all', { message: 'userId must be a UUID' })
  userId!: string;
  @seq('Undo what they did after event `since`; this or sinceTime') since?: number;
  @time('Undo what they did after this time (RFC 3339): after the last event committed by then') sinceTime?: string;
}

/** The revert committed: one action of the caller, who can undo and redo it over the WebSocket by actionId. */
export class HistoryActionDto {
  @ApiProperty({ format: 'uuid', description: 'The action id: Undo{action_id} / Redo{action_id} over the WebSocket' }) actionId!: string;
  @ApiProperty({ description: "Sequence number of the action's last event" }) seq!: number;
  @ApiProperty({ description: 'The point the room was restored or reverted to (resolved from a time when one was given)' }) pointSeq!: number;
  @ApiProperty({ description: 'Strokes the action was to erase (those still visible when it committed were)' }) erased!: number;
  @ApiProperty({ description: 'Strokes the action was to restore (those still erased when it committed were)' }) restored!: number;
}
