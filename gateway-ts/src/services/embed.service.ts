import { ForbiddenException, HttpException, Inject, Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';
import { PassThrough } from 'node:stream';
import { CONFIG, GatewayConfig } from '../config';
import { linkStatus } from '../dtos/links.dto';
import { TilesQueryDto } from '../dtos/tiles.dto';
import { GetTilesResponse, TileCoord } from '../gen/infidraw/tile/v1/tile';
import { LinksRepository, LinkWithRoomRow } from '../repositories/links.repository';
import { RoomHeadsRepository } from '../repositories/room-heads.repository';
import { cspDirectives, cspHeader } from '../utils/csp';
import { Payload, WireFormat } from '../utils/payload';
import { BusyException } from '../utils/too-many-requests';
import { LinkChangesService } from './link-changes.service';
import { LinksService } from './links.service';
import { MetricsService } from './metrics.service';
import { RoomChange, RoomChangesService } from './room-changes.service';
import { requireViewport, TilesService } from './tiles.service';
import { WebService } from './web.service';

/** An unpinned read of an embed (the room now) may be reused by shared caches this long (s), browsers revalidate. */
const LIVE_CACHE = 'public, max-age=0, s-maxage=2';
/** How long an EventSource waits before reconnecting (ms), and the heartbeat comment that keeps proxies from closing. */
const RETRY_MS = 3000;
export const HEARTBEAT_MS = 15_000;
/** Retry-After of a 503 when this process holds all the event streams it may. */
const BUSY_RETRY_SECONDS = 10;

interface Stream {
  linkId: string;
  end(reason: string): void;
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * The read-only embed of a share link (/embed/:linkToken): its page, with the link's origins as CSP frame-ancestors,
 * the room's tiles and snapshots through the link (cacheable by any HTTP cache: they need no credentials), and a
 * Server-Sent Events stream of which parts of the board changed. The link is checked at every request; open streams
 * end when it is revoked, expires or loses its origins (at once when that happens in this process, within
 * GATEWAY_EMBED_RECHECK_MS otherwise).
 */
@Injectable()
export class EmbedService implements OnModuleInit, OnModuleDestroy {
  private readonly streams = new Set<Stream>();
  private recheckTimer: NodeJS.Timeout | null = null;
  private stopListening: (() => void) | null = null;

  constructor(
    private readonly links: LinksService,
    private readonly linkRows: LinksRepository,
    private readonly linkChanges: LinkChangesService,
    private readonly tiles: TilesService,
    private readonly changes: RoomChangesService,
    private readonly heads: RoomHeadsRepository,
    private readonly web: WebService,
    private readonly metrics: MetricsService,
    @Inject(CONFIG) private readonly config: GatewayConfig,
    @InjectPinoLogger(EmbedService.name) private readonly logger: PinoLogger,
  ) {}

  onModuleInit() {
    this.stopListening = this.linkChanges.listen((linkId) => {
      if ([...this.streams].some((s) => s.linkId === linkId)) void this.recheck([linkId]);
    });
    this.recheckTimer = setInterval(() => void this.recheck(), this.config.embed.recheckMs).unref();
  }

  onModuleDestroy() {
    this.stopListening?.();
    if (this.recheckTimer) clearInterval(this.recheckTimer);
    for (const s of this.streams) s.end('shutdown');
  }

  /** The link if it can be embedded now: 400 malformed, 404 unknown, 410 revoked or expired, 403 without origins. */
  async embeddable(token: string): Promise<LinkWithRoomRow> {
    const link = await this.links.usable(token);
    if (link.embedOrigins.length === 0) throw new ForbiddenException('this share link is not enabled for embedding');
    return link;
  }

  /**
   * The embed page: the web client's embed.html, framable by the link's origins only. Every refusal is a short HTML
   * page that no site may frame.
   */
  async page(token: string, reply: FastifyReply): Promise<FastifyReply> {
    let link: LinkWithRoomRow;
    try {
      if (!/^[A-Za-z0-9_-]{32}$/.test(token)) throw new HttpException('this is not an embed link', 400);
      link = await this.embeddable(token);
    } catch (err) {
      if (!(err instanceof HttpException)) throw err;
      const message = escapeHtml(err.message);
      return reply
        .status(err.getStatus())
        .header('content-security-policy', cspHeader(cspDirectives(this.config)))
        .header('cache-control', 'no-store')
        .type('text/html; charset=utf-8')
        .send(`<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>infidraw</title></head>\n<body><h1>This board cannot be shown</h1><p>${message}.</p></body></html>\n`);
    }
    // Helmet's X-Frame-Options: DENY is on the raw response; frame-ancestors says who may frame the page instead.
    reply.raw.removeHeader('x-frame-options');
    void reply.header('content-security-policy', cspHeader(cspDirectives(this.config, link.embedOrigins)));
    return this.web.page(reply, 'embed.html', 'no-store');
  }

  /**
   * The tiles of a viewport through the link. A read pinned to a point of the past that exists (`at` ≤ head) with no
   * tile pending never changes: any cache may keep it GATEWAY_EMBED_PINNED_MAX_AGE_SECONDS (the snapshots it names are
   * collected some time after newer ones replace them, TILE_DELTA_SNAPSHOT_RETAIN, so not for ever). A read of now is
   * shared by caches for a moment only; one with pending tiles is not stored.
   */
  async tilesOf(token: string, q: TilesQueryDto, format: WireFormat): Promise<Payload> {
    const start = process.hrtime.bigint();
    requireViewport(q);
    const link = await this.embeddable(token);
    const pinnedCache = `public, max-age=${this.config.embed.pinnedMaxAgeSeconds}, immutable`;
    return this.tiles.viewport(
      link.roomId,
      q,
      format,
      {
        snapshotUrl: (c, coversSeq) => embedSnapshotUrl(token, c, coversSeq),
        cacheControl: (r: GetTilesResponse) => {
          if (r.tiles.some((t) => t.pending)) return 'no-store';
          return q.at !== undefined && r.atSeq === q.at ? pinnedCache : LIVE_CACHE;
        },
      },
      'GET embed tiles',
      start,
    );
  }

  /** A snapshot PNG through the link: named by its content, so public and immutable. */
  async snapshot(token: string, coord: TileCoord, coversSeq: number): Promise<Payload> {
    const link = await this.embeddable(token);
    return this.tiles.snapshotPng(link.roomId, coord, coversSeq, 'public');
  }

  /**
   * Server-Sent Events of which parts of the board changed (docs/contracts.md, "Embeds"): first the head when the
   * client's Last-Event-ID is older, then `changed` events as realtime-go commits, a heartbeat comment every
   * HEARTBEAT_MS, and `ended` before the stream closes because the link stopped working.
   */
  async events(token: string, request: FastifyRequest, reply: FastifyReply): Promise<void> {
    this.refuseOverLimit();
    const link = await this.embeddable(token);
    const lastHeader = request.headers['last-event-id'];
    const lastSeen = typeof lastHeader === 'string' && /^\d{1,16}$/.test(lastHeader) ? Number(lastHeader) : -1;
    const queued: RoomChange[] = [];
    let write: ((c: RoomChange) => void) | null = null;
    // Changes arriving before the stream is open wait for it.
    const unwatch = await this.changes.watch(link.roomId, (c) => (write ? write(c) : queued.push(c)));
    let head: number;
    try {
      head = await this.heads.head(link.roomId);
      this.refuseOverLimit();
    } catch (err) {
      unwatch();
      throw err;
    }

    // Fastify writes the stream (and destroys it when the client goes away), so the connection is tracked as usual.
    const body = new PassThrough();
    const send = (text: string) => void body.write(text);
    const heartbeat = setInterval(() => send(': keep-alive\n\n'), HEARTBEAT_MS);
    const stream: Stream = {
      linkId: link.id,
      end: (reason) => {
        if (!this.streams.delete(stream)) return;
        this.metrics.embedStreams.set(this.streams.size);
        send(`event: ended\ndata: ${JSON.stringify({ reason })}\n\n`);
        body.end();
      },
    };
    this.streams.add(stream);
    this.metrics.embedStreams.set(this.streams.size);
    body.on('close', () => {
      clearInterval(heartbeat);
      unwatch();
      this.streams.delete(stream);
      this.metrics.embedStreams.set(this.streams.size);
    });
    void reply.header('content-type', 'text/event-stream; charset=utf-8').header('cache-control', 'no-store').header('x-accel-buffering', 'no').send(body);
    send(`retry: ${RETRY_MS}\n\n`);
    let sent = lastSeen;
    write = (c) => {
      if (c.seq <= sent) return;
      sent = c.seq;
      send(`event: changed\nid: ${c.seq}\ndata: ${JSON.stringify({ seq: c.seq, areas: c.areas })}\n\n`);
    };
    write({ seq: head, areas: null });
    for (const c of queued) write(c);
    this.logger.info({ roomId: link.roomId, linkId: link.id, streams: this.streams.size, head }, 'embed event stream opened');
  }

  /** 503 when this process holds as many streams as it may (checked before and after the awaits of a new one). */
  private refuseOverLimit(): void {
    if (this.streams.size < this.config.embed.maxStreams) return;
    this.metrics.busy.inc({ limit: 'embed_streams' });
    throw new BusyException(`this gateway holds ${this.config.embed.maxStreams} embed event streams, its limit`, BUSY_RETRY_SECONDS);
  }

  /** Ends the streams whose link stopped working (all open ones, or those of `only`). */
  private async recheck(only?: string[]): Promise<void> {
    const ids = only ?? [...new Set([...this.streams].map((s) => s.linkId))];
    if (ids.length === 0) return;
    try {
      const now = new Map((await this.linkRows.findByIds(ids)).map((l) => [l.id, l]));
      for (const s of [...this.streams]) {
        if (!ids.includes(s.linkId)) continue;
        const l = now.get(s.linkId);
        const reason = !l || l.roomDeleted ? 'not found' : linkStatus(l) !== 'active' ? linkStatus(l) : l.embedOrigins.length === 0 ? 'not embeddable' : null;
        if (reason) s.end(reason);
      }
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'embed links recheck failed');
    }
  }
}

/** The URL an embed fetches a snapshot from (through its link). */
export function embedSnapshotUrl(token: string, c: TileCoord, coversSeq: number): string {
  return `/api/embed/${token}/tiles/${c.level}/${c.x}/${c.y}/${coversSeq}.png`;
}
