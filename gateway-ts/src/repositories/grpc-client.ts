import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { ChannelCredentials, ChannelOptions, Client, Metadata, ServiceError, status as GrpcStatus, StatusObject } from '@grpc/grpc-js';
import { CONFIG, GatewayConfig } from '../config';
import { MetricsService } from '../services/metrics.service';
import { Upstream, UpstreamError } from '../utils/upstream-error';
import { InternalCredentials } from './internal-credentials';

/** A unary method as the generated service definitions (and the hand-written health one) describe it. */
export interface UnaryMethod<Req, Res> {
  path: string;
  requestStream: false;
  responseStream: false;
  requestSerialize: (request: Req) => Buffer;
  responseDeserialize: (bytes: Buffer) => Res;
}

/** A server-streaming method as the generated service definitions describe it. */
export interface ServerStreamMethod<Req, Res> {
  path: string;
  requestStream: false;
  responseStream: true;
  requestSerialize: (request: Req) => Buffer;
  responseDeserialize: (bytes: Buffer) => Res;
}

/** A reply with the trailing metadata the service sent (realtime-go reports its database time there). */
export interface WithTrailers<T> {
  response: T;
  trailers: Metadata;
}

/**
 * Channel options of every client. Keepalive pings (sent only while calls are open) notice a dead connection
 * during a long call; a service that comes back is reached within seconds, not after grpc-js's default
 * 2-minute reconnect backoff.
 */
const CHANNEL_DEFAULTS: ChannelOptions = { 'grpc.keepalive_time_ms': 30_000, 'grpc.max_reconnect_backoff_ms': 5000 };

/** Reading a region's or a person's changes and committing their revert take up to 100,000 strokes: seconds. */
export const HISTORY_DEADLINE_MS = 60_000;

/**
 * One channel to a gRPC service and the one way the gateway calls it: every unary call has a deadline, is
 * timed in gateway_grpc_client_duration_seconds, and fails with an UpstreamError naming the service, the
 * method and the status, which the error filter maps to an HTTP answer. No call sends metadata of its own:
 * grpc-js sends the deadline (grpc-timeout), which is all the services read.
 */
export class GrpcClient {
  private readonly client: Client;

  constructor(
    readonly service: Upstream,
    readonly target: string,
    private readonly defaultDeadlineMs: number,
    private readonly metrics: MetricsService,
    credentials: ChannelCredentials,
    channel: ChannelOptions = {},
  ) {
    this.client = new Client(target, credentials, { ...CHANNEL_DEFAULTS, ...channel });
  }

  /** One unary call; `deadlineMs` overrides GATEWAY_GRPC_DEADLINE_MS for calls known to take longer (or less). */
  async call<Req, Res>(method: UnaryMethod<Req, Res>, request: Req, deadlineMs?: number): Promise<Res> {
    return (await this.callWithTrailers(method, request, deadlineMs)).response;
  }

  /** As call(), with the reply's trailers. */
  callWithTrailers<Req, Res>(method: UnaryMethod<Req, Res>, request: Req, deadlineMs = this.defaultDeadlineMs): Promise<WithTrailers<Res>> {
    const name = method.path.slice(method.path.lastIndexOf('/') + 1);
    const started = process.hrtime.bigint();
    const observe = (code: GrpcStatus) =>
      this.metrics.grpcDuration.observe(
        { service: this.service, method: name, code: GrpcStatus[code] ?? String(code) },
        Number(process.hrtime.bigint() - started) / 1e9,
      );
    return new Promise((resolve, reject) => {
      let reply: { response: Res } | undefined;
      let trailers: Metadata | undefined;
      const settle = () => {
        if (reply && trailers) resolve({ response: reply.response, trailers });
      };
      const onReply = (err: ServiceError | null, response?: Res) => {
        observe(err ? err.code : GrpcStatus.OK);
        if (err) return reject(UpstreamError.fromServiceError(this.service, name, err));
        reply = { response: response as Res };
        settle();
      };
      const call = this.client.makeUnaryRequest(
        method.path,
        method.requestSerialize,
        method.responseDeserialize,
        request,
        new Metadata(),
        { deadline: Date.now() + deadlineMs },
        onReply,
      );
      // grpc-js reports the status (with the trailers) right after the reply; either order works here.
      call.on('status', (status: StatusObject) => {
        trailers = status.metadata;
        settle();
      });
    });
  }

  /**
   * One server-streaming call with a deadline for the whole stream: its messages in order. It is timed and fails
   * like call(); a consumer that stops early (break, or an error of its own) cancels the call.
   */
  async *stream<Req, Res>(method: ServerStreamMethod<Req, Res>, request: Req, deadlineMs = this.defaultDeadlineMs): AsyncGenerator<Res> {
    const name = method.path.slice(method.path.lastIndexOf('/') + 1);
    const started = process.hrtime.bigint();
    const call = this.client.makeServerStreamRequest(method.path, method.requestSerialize, method.responseDeserialize, request, new Metadata(), {
      deadline: Date.now() + deadlineMs,
    });
    let code = GrpcStatus.CANCELLED;
    try {
      for await (const message of call as AsyncIterable<Res>) yield message;
      code = GrpcStatus.OK;
    } catch (err) {
      const e = err as ServiceError;
      code = e.code ?? GrpcStatus.UNKNOWN;
      throw UpstreamError.fromServiceError(this.service, name, e);
    } finally {
      if (code === GrpcStatus.CANCELLED) call.cancel();
      this.metrics.grpcDuration.observe(
        { service: this.service, method: name, code: GrpcStatus[code] ?? String(code) },
        Number(process.hrtime.bigint() - started) / 1e9,
      );
    }
  }

  close() {
    this.client.close();
  }
}

/** Makes the gateway's gRPC clients (target, credentials and default deadline from the configuration) and closes them on shutdown. */
@Injectable()
export class GrpcClientFactory implements OnModuleDestroy {
  private readonly clients: GrpcClient[] = [];

  constructor(
    @Inject(CONFIG) private readonly config: GatewayConfig,
    private readonly internal: InternalCredentials,
    private readonly metrics: MetricsService,
  ) {}

  /** A client of one service; `channel` adds options (a larger receive limit) to the shared ones. */
  create(service: Upstream, channel: ChannelOptions = {}): GrpcClient {
    const targets: Record<Upstream, string> = {
      realtime: this.config.grpc.realtime,
      'tile-delta': this.config.grpc.tileDelta,
      snapshot: this.config.grpc.snapshot,
    };
    const client = new GrpcClient(service, targets[service], this.config.grpc.deadlineMs, this.metrics, this.internal.channel, channel);
    this.clients.push(client);
    return client;
  }

  onModuleDestroy() {
    for (const client of this.clients) client.close();
  }
}
