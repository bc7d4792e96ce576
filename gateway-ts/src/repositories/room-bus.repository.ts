import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';
import { Cluster, Redis } from 'ioredis';
import { CONFIG, GatewayConfig } from '../config';
import { BusMessage } from '../gen/infidraw/realtime/v1/bus';
import { redisClient } from './redis.repository';

// realtime-go's room channel (realtime-go/internal/redisbus): sharded pub/sub, hash-tagged by room.
const CHANNEL_PREFIX = 'infidraw:room:{';
const channelOf = (roomId: string) => `${CHANNEL_PREFIX}${roomId}}`;
const roomOf = (channel: string) => channel.slice(CHANNEL_PREFIX.length, -1);

export interface RoomBusHandlers {
  /** A message realtime-go published in a room this process listens to. */
  message(roomId: string, message: BusMessage): void;
  /** The connection came back (and subscribed again): whatever was published meanwhile is lost. */
  reconnected(): void;
}

/**
 * Listens to realtime-go's Redis bus (SSUBSCRIBE on realtime-go's Redis: REDIS_URL, or the nodes of REDIS_CLUSTER_URL,
 * where ioredis subscribes to each channel on the node that serves its slot) on connections of its own, opened at the
 * first subscription. ioredis subscribes again to every channel when a connection comes back.
 */
@Injectable()
export class RoomBusRepository implements OnModuleDestroy {
  private readonly subscriber: Redis | Cluster;
  private handlers?: RoomBusHandlers;
  private connectedBefore = false;

  constructor(
    @Inject(CONFIG) config: GatewayConfig,
    @InjectPinoLogger(RoomBusRepository.name) private readonly logger: PinoLogger,
  ) {
    // No key prefix: the channels are realtime-go's.
    this.subscriber = redisClient(config, { connectTimeout: 5000, maxRetriesPerRequest: 1, lazyConnect: true, shardedSubscribers: true });
    this.subscriber.on('error', (err: Error) => this.logger.warn({ err: err.message }, 'redis bus subscriber error'));
    this.subscriber.on('ready', () => {
      if (this.connectedBefore) this.handlers?.reconnected();
      this.connectedBefore = true;
    });
    this.subscriber.on('smessageBuffer', (channel: Buffer, payload: Buffer) => {
      let message: BusMessage;
      try {
        message = BusMessage.decode(payload);
      } catch (err) {
        this.logger.warn({ channel: channel.toString(), err: (err as Error).message }, 'undecodable bus message');
        return;
      }
      this.handlers?.message(roomOf(channel.toString()), message);
    });
  }

  /** Sets who gets the messages (one listener: RoomChangesService). */
  listen(handlers: RoomBusHandlers): void {
    this.handlers = handlers;
  }

  async subscribe(roomId: string): Promise<void> {
    await this.subscriber.ssubscribe(channelOf(roomId));
  }

  async unsubscribe(roomId: string): Promise<void> {
    await this.subscriber.sunsubscribe(channelOf(roomId));
  }

  async onModuleDestroy() {
    if (this.subscriber.status === 'wait') return;
    await this.subscriber.quit().catch(() => this.subscriber.disconnect());
  }
}
