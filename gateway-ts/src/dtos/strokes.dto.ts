import { BadRequestException } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { decode as decodeMsgpack } from '@msgpack/msgpack';
import { IngestStrokesRequest, IngestStrokesResponse } from '../gen/infidraw/realtime/v1/realtime_service';
import { Stroke, Tool } from '../gen/infidraw/stroke/v1/stroke';
import { WireFormat } from '../utils/payload';
import { MAX_POINTS } from '../gen/limits';
import { bytesToUuid, uuidToBytes } from '../utils/uuid';

export const MAX_STROKES_PER_REQUEST = 1000;
const SINT32_MIN = -(2 ** 31);
const SINT32_MAX = 2 ** 31 - 1;
const UINT32_MAX = 2 ** 32 - 1;

const TOOL_NAMES: Record<string, Tool> = {
  pen: Tool.TOOL_PEN,
  highlighter: Tool.TOOL_HIGHLIGHTER,
  pixel_eraser: Tool.TOOL_PIXEL_ERASER,
  TOOL_PEN: Tool.TOOL_PEN,
  TOOL_HIGHLIGHTER: Tool.TOOL_HIGHLIGHTER,
  TOOL_PIXEL_ERASER: Tool.TOOL_PIXEL_ERASER,
};

/** One stroke in the JSON and msgpack bodies of POST /api/rooms/{id}/strokes (OpenAPI only). */
export class StrokeJsonDto {
  @ApiProperty({ format: 'uuid', description: 'Client-generated stroke id; makes the commit idempotent (16 raw bytes in msgpack also work)' })
  id!: string;
  @ApiProperty({ enum: ['pen', 'highlighter', 'pixel_eraser'], description: 'Also TOOL_PEN… or 1-3' })
  tool!: string;
  @ApiProperty({ description: 'Colour 0xRRGGBBAA', minimum: 0, maximum: UINT32_MAX }) rgba!: number;
  @ApiProperty({ description: 'Nominal width in world units x100', minimum: 0, maximum: UINT32_MAX }) width!: number;
  @ApiPropertyOptional({ description: 'Divisor of the coordinates; 0 or absent is 1', minimum: 0 }) quantum?: number;
  @ApiProperty({ type: [Number], description: 'x0, y0, dx1, dy1, … (delta encoded, in units of quantum / 100 world units)' })
  points!: number[];
  @ApiPropertyOptional({ type: [Number], description: 'Delta-encoded pressures in 1/255 steps' }) pressures?: number[];
}

export class StrokeBatchJsonDto {
  @ApiProperty({ type: [StrokeJsonDto], minItems: 1, maxItems: MAX_STROKES_PER_REQUEST }) strokes!: StrokeJsonDto[];
}

export class IngestResultDto {
  @ApiProperty({ format: 'uuid' }) strokeId!: string;
  @ApiProperty({ description: 'Sequence number of the stroke event' }) seq!: number;
  @ApiProperty({ description: 'True when the stroke had been committed before (idempotent retry)' }) duplicate!: boolean;
}

export class IngestStrokesResponseDto {
  @ApiProperty({ type: [IngestResultDto] }) results!: IngestResultDto[];
}

export function mapIngestResponse(r: IngestStrokesResponse): IngestStrokesResponseDto {
  return {
    results: r.results.map((x) => ({
      strokeId: x.strokeId.length === 16 ? bytesToUuid(x.strokeId) : Buffer.from(x.strokeId).toString('hex'),
      seq: x.seq,
      duplicate: x.duplicate,
    })),
  };
}

const bad = (message: string) => new BadRequestException(message);

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}

function int(v: unknown, where: string, min: number, max: number): number {
  if (typeof v === 'bigint') v = Number(v);
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw bad(`${where} must be an integer from ${min} to ${max}`);
  }
  return v;
}

/**
 * Refuses an array of more values than a stroke of MAX_POINTS points has (perPoint values a point), before
 * any value is read or forwarded; realtime-go checks every other stroke limit and names it.
 */
function checkLength(values: number, where: string, perPoint: 1 | 2) {
  if (values > perPoint * MAX_POINTS) {
    throw bad(`${where}: the stroke has ${Math.ceil(values / perPoint)} points; the limit is ${MAX_POINTS}`);
  }
}

function intArray(v: unknown, where: string, perPoint: 1 | 2): number[] {
  if (!Array.isArray(v)) throw bad(`${where} must be an array of integers`);
  checkLength(v.length, where, perPoint);
  return v.map((x, i) => int(x, `${where}[${i}]`, SINT32_MIN, SINT32_MAX));
}

const STROKE_KEYS = new Set(['id', 'tool', 'rgba', 'width', 'quantum', 'points', 'pressures']);

function strokeFromObject(o: unknown, where: string): Stroke {
  if (!isPlainObject(o)) throw bad(`${where} must be an object`);
  for (const key of Object.keys(o)) if (!STROKE_KEYS.has(key)) throw bad(`${where}.${key} is not a stroke field`);
  let id: Buffer;
  if (typeof o.id === 'string') {
    const bytes = uuidToBytes(o.id);
    if (!bytes) throw bad(`${where}.id must be a UUID`);
    id = bytes;
  } else if (o.id instanceof Uint8Array && o.id.length === 16) {
    id = Buffer.from(o.id);
  } else {
    throw bad(`${where}.id must be a UUID (text, or 16 bytes in msgpack)`);
  }
  let tool: Tool;
  if (typeof o.tool === 'string' && o.tool in TOOL_NAMES) tool = TOOL_NAMES[o.tool];
  else if (typeof o.tool === 'number' && [1, 2, 3].includes(o.tool)) tool = o.tool;
  else throw bad(`${where}.tool must be one of pen, highlighter, pixel_eraser`);
  const stroke: Stroke = {
    id,
    tool,
    rgba: int(o.rgba, `${where}.rgba`, 0, UINT32_MAX),
    width: int(o.width, `${where}.width`, 0, UINT32_MAX),
    quantum: o.quantum === undefined ? 0 : int(o.quantum, `${where}.quantum`, 0, UINT32_MAX),
    points: intArray(o.points, `${where}.points`, 2),
    pressures: o.pressures === undefined ? [] : intArray(o.pressures, `${where}.pressures`, 1),
  };
  return checkStroke(stroke, where);
}

function checkStroke(s: Stroke, where: string): Stroke {
  if (s.id.length !== 16) throw bad(`${where}.id must be 16 bytes (a UUID)`);
  if (s.tool < Tool.TOOL_PEN || s.tool > Tool.TOOL_PIXEL_ERASER) throw bad(`${where}.tool is not a known tool`);
  if (s.points.length < 2 || s.points.length % 2 !== 0) throw bad(`${where}.points must hold x,y pairs (at least one point)`);
  checkLength(s.points.length, `${where}.points`, 2);
  if (s.pressures.length > 0 && s.pressures.length !== s.points.length / 2) {
    throw bad(`${where}.pressures must be empty or hold one value per point`);
  }
  return s;
}

function checkCount(n: number) {
  if (n === 0) throw bad('strokes must not be empty');
  if (n > MAX_STROKES_PER_REQUEST) throw bad(`at most ${MAX_STROKES_PER_REQUEST} strokes per request`);
}

/**
 * Reads the body of POST /api/rooms/{id}/strokes in any of its formats:
 * protobuf `infidraw.realtime.v1.IngestStrokesRequest` (room_id empty or the room's id, author_id empty:
 * the gateway sets it), or JSON / msgpack `{ "strokes": [StrokeJson…] }`.
 */
export function parseStrokeBatch(format: WireFormat, body: unknown, roomId: string): Stroke[] {
  if (format === 'protobuf') {
    if (!Buffer.isBuffer(body)) throw bad('expected a protobuf body');
    let req: IngestStrokesRequest;
    try {
      req = IngestStrokesRequest.decode(body);
    } catch (err) {
      throw bad(`body is not a valid infidraw.realtime.v1.IngestStrokesRequest: ${(err as Error).message}`);
    }
    if (req.roomId !== '' && req.roomId !== roomId) throw bad('room_id in the body differs from the room in the URL');
    if (req.authorId !== '') throw bad('author_id must be empty: the gateway sets it to the caller');
    checkCount(req.strokes.length);
    return req.strokes.map((s, i) => checkStroke({ ...s, id: Buffer.from(s.id) }, `strokes[${i}]`));
  }
  let value = body;
  if (format === 'msgpack') {
    if (!Buffer.isBuffer(body)) throw bad('expected a msgpack body');
    try {
      value = decodeMsgpack(body, { useBigInt64: false });
    } catch (err) {
      throw bad(`body is not valid msgpack: ${(err as Error).message}`);
    }
  }
  if (!isPlainObject(value)) throw bad('body must be an object {"strokes": [...]}');
  for (const key of Object.keys(value)) if (key !== 'strokes') throw bad(`property ${key} should not exist`);
  if (!Array.isArray(value.strokes)) throw bad('strokes must be an array');
  checkCount(value.strokes.length);
  return value.strokes.map((s, i) => strokeFromObject(s, `strokes[${i}]`));
}
