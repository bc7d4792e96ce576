// Wire objects for the unit tests of the board model: strokes and room events as the WebSocket delivers them.
import { encodePoints, TOOL_PEN } from '../src/geometry.ts';
import { unhex } from '../src/ids.ts';
import type { RoomEvent } from '../src/gen/infidraw/room/v1/event.ts';
import type { Stroke } from '../src/gen/infidraw/stroke/v1/stroke.ts';

/** A 16-byte id whose hex is `n` zero-padded: id(7) is '000…07'. */
export function id(n: number): Uint8Array {
  return unhex(n.toString(16).padStart(32, '0'));
}

export function idHex(n: number): string {
  return n.toString(16).padStart(32, '0');
}

/** A pen stroke through world points (x, y pairs), 4 world units wide. */
export function stroke(n: number, world: number[], extra: Partial<Stroke> = {}): Stroke {
  const { quantum, points } = encodePoints(world.map((v) => Math.round(v * 100)));
  return { id: id(n), tool: TOOL_PEN, rgba: 0x000000ff, width: 400, quantum, points, pressures: [], ...extra };
}

export function added(seq: number, s: Stroke): RoomEvent {
  return { seq, committedAtMs: 0, authorId: 'someone', kind: { $case: 'strokeAdded', value: { stroke: s } } };
}

export function erased(seq: number, action: number, strokes: number[]): RoomEvent {
  return { seq, committedAtMs: 0, authorId: 'someone', kind: { $case: 'strokesErased', value: { actionId: id(action), strokeIds: strokes.map(id) } } };
}

export function restored(seq: number, action: number, strokes: number[]): RoomEvent {
  return { seq, committedAtMs: 0, authorId: 'someone', kind: { $case: 'strokesRestored', value: { actionId: id(action), strokeIds: strokes.map(id) } } };
}
