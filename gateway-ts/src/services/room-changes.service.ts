import { Injectable, ServiceUnavailableException } from '@nestjs/common';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';
import { COORD_SCALE } from '../gen/limits';
import { Area } from '../gen/infidraw/realtime/v1/bus';
import { RoomBusRepository } from '../repositories/room-bus.repository';
import { RoomHeadsRepository } from '../repositories/room-heads.repository';
import { MetricsService } from './metrics.service';

/** Committed events of a room are told as one change per this many ms at most. */
export const CHANGES_COALESCE_MS = 250;
/** A change names at most this many areas; more are told as their bounding box. */
export const MAX_CHANGE_AREAS = 64;

/** A world rectangle (world units): minX, minY, maxX, maxY. */
export type WorldArea = [number, number, number, number];

/** The room changed up to `seq`, within `areas` (null: anywhere). */
export interface RoomChange {
  seq: number;
  areas: WorldArea[] | null;
}

interface Watch {
  listeners: Set<(c: RoomChange) => void>;
  subscribed: Promise<void>;
  /** What the next change tells, gathered since the first message of the window. */
  pending: RoomChange | null;
  timer: NodeJS.Timeout | null;
}

/**
 * Which parts of a room changed, from realtime-go's bus: one subscription per room for every listener of this
 * process, dropped when the last one leaves; committed events coalesced into one change per CHANGES_COALESCE_MS.
 */
@Injectable()
export class RoomChangesService {
  private readonly rooms = new Map<string, Watch>();

  constructor(
    private readonly bus: RoomBusRepository,
    private readonly heads: RoomHeadsRepository,
    private readonly metrics: MetricsService,
    @InjectPinoLogger(RoomChangesService.name) private readonly logger: PinoLogger,
  ) {
    bus.listen({
      // The room's channel carries committed events that no region holds, and the heads (seq and area) of those
      // whose payloads went to region channels: together, every event of the room.
      message: (roomId, m) => {
        if (m.body?.$case === 'committed') this.committed(roomId, m.body.value.events.map((e) => e.seq), m.body.value.areas);
        else if (m.body?.$case === 'heads') this.committed(roomId, m.body.value.seqs, m.body.value.areas);
      },
      reconnected: () => void this.lostTrack(),
    });
  }

  /** Calls `listener` with the room's changes until the returned function is called. 503 when the bus cannot be reached. */
  async watch(roomId: string, listener: (c: RoomChange) => void): Promise<() => void> {
    let w = this.rooms.get(roomId);
    if (!w) {
      w = { listeners: new Set(), subscribed: this.bus.subscribe(roomId), pending: null, timer: null };
      this.rooms.set(roomId, w);
      this.metrics.embedRooms.set(this.rooms.size);
    }
    const watch = w;
    watch.listeners.add(listener);
    const stop = () => {
      watch.listeners.delete(listener);
      if (watch.listeners.size > 0 || this.rooms.get(roomId) !== watch) return;
      this.rooms.delete(roomId);
      this.metrics.embedRooms.set(this.rooms.size);
      if (watch.timer) clearTimeout(watch.timer);
      this.bus.unsubscribe(roomId).catch((err: Error) => this.logger.warn({ roomId, err: err.message }, 'bus unsubscribe failed'));
    };
    try {
      await watch.subscribed;
    } catch (err) {
      stop();
      this.logger.warn({ roomId, err: (err as Error).message }, 'bus subscribe failed');
      throw new ServiceUnavailableException('the room event bus (Redis) is unavailable');
    }
    return stop;
  }

  /** Events `seqs` (in order) were committed, areas[i] the area of seqs[i] (encoded units). */
  private committed(roomId: string, seqs: number[], areas: Area[]): void {
    if (seqs.length === 0) return;
    // Fewer areas than events: those without one may have changed anything (docs/contracts.md, the bus).
    const world = areas.length < seqs.length ? null : areas.map((a): WorldArea => [a.minX / COORD_SCALE, a.minY / COORD_SCALE, a.maxX / COORD_SCALE, a.maxY / COORD_SCALE]);
    this.gather(roomId, { seq: seqs[seqs.length - 1], areas: world });
  }

  private gather(roomId: string, change: RoomChange): void {
    const w = this.rooms.get(roomId);
    if (!w) return;
    const p = w.pending;
    w.pending = p === null ? change : { seq: Math.max(p.seq, change.seq), areas: p.areas && change.areas ? bounded([...p.areas, ...change.areas]) : null };
    w.timer ??= setTimeout(() => this.flush(w), CHANGES_COALESCE_MS);
  }

  private flush(w: Watch): void {
    const change = w.pending;
    w.pending = null;
    w.timer = null;
    if (change) for (const l of w.listeners) l(change);
  }

  /** The bus connection came back: anything may have changed in every watched room up to its head now. */
  private async lostTrack(): Promise<void> {
    for (const roomId of this.rooms.keys()) {
      try {
        this.gather(roomId, { seq: await this.heads.head(roomId), areas: null });
      } catch (err) {
        this.logger.warn({ roomId, err: (err as Error).message }, 'room head unreadable after a bus reconnect');
      }
    }
  }
}

/** At most MAX_CHANGE_AREAS areas: more become their bounding box. */
function bounded(areas: WorldArea[]): WorldArea[] {
  if (areas.length <= MAX_CHANGE_AREAS) return areas;
  return [areas.reduce((b, a) => [Math.min(b[0], a[0]), Math.min(b[1], a[1]), Math.max(b[2], a[2]), Math.max(b[3], a[3])])];
}
