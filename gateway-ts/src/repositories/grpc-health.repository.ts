import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { BinaryReader, BinaryWriter } from '@bufbuild/protobuf/wire';
import { ChannelCredentials, Client, makeGenericClientConstructor, Metadata, ServiceError } from '@grpc/grpc-js';
import { CONFIG, GatewayConfig } from '../config';
import { InternalCredentials } from './internal-credentials';

/** grpc.health.v1.HealthCheckResponse.ServingStatus */
export enum ServingStatus {
  UNKNOWN = 0,
  SERVING = 1,
  NOT_SERVING = 2,
  SERVICE_UNKNOWN = 3,
}

// The standard health protocol is two tiny messages; they are encoded here by hand rather than generated.
//   message HealthCheckRequest { string service = 1; }
//   message HealthCheckResponse { ServingStatus status = 1; }
const healthService = {
  check: {
    path: '/grpc.health.v1.Health/Check',
    requestStream: false,
    responseStream: false,
    requestSerialize: (req: { service: string }) => {
      const w = new BinaryWriter();
      if (req.service) w.uint32(10).string(req.service);
      return Buffer.from(w.finish());
    },
    requestDeserialize: (buf: Buffer) => ({ service: decodeString(buf) }),
    responseSerialize: (res: { status: ServingStatus }) => {
      const w = new BinaryWriter();
      if (res.status) w.uint32(8).int32(res.status);
      return Buffer.from(w.finish());
    },
    responseDeserialize: (buf: Buffer) => ({ status: decodeStatus(buf) }),
  },
} as const;

function decodeString(buf: Uint8Array): string {
  const r = new BinaryReader(buf);
  let out = '';
  while (r.pos < r.len) {
    const tag = r.uint32();
    if (tag >>> 3 === 1 && (tag & 7) === 2) out = r.string();
    else r.skip(tag & 7);
  }
  return out;
}

function decodeStatus(buf: Uint8Array): ServingStatus {
  const r = new BinaryReader(buf);
  let status = ServingStatus.UNKNOWN;
  while (r.pos < r.len) {
    const tag = r.uint32();
    if (tag >>> 3 === 1 && (tag & 7) === 0) status = r.int32();
    else r.skip(tag & 7);
  }
  return status;
}

/** Exported for tests that serve the health protocol. */
export const HEALTH_SERVICE_DEFINITION = healthService;

type HealthClient = Client & {
  check(
    req: { service: string },
    meta: Metadata,
    opts: { deadline: Date },
    cb: (err: ServiceError | null, res: { status: ServingStatus }) => void,
  ): void;
};
const HealthClientCtor = makeGenericClientConstructor(healthService, 'grpc.health.v1.Health') as unknown as new (
  address: string,
  creds: ChannelCredentials,
  options?: Record<string, number>,
) => HealthClient;

/** The gRPC services the gateway depends on, by the name health reports use. */
export type GrpcDependency = 'realtime' | 'tile-delta' | 'snapshot';

/** Asks each gRPC dependency for its overall status (service "") with grpc.health.v1. */
@Injectable()
export class GrpcHealthRepository implements OnModuleDestroy {
  private readonly clients: Record<GrpcDependency, HealthClient>;

  constructor(
    @Inject(CONFIG) private readonly config: GatewayConfig,
    internal: InternalCredentials,
  ) {
    // A service that comes back is seen within seconds, not after grpc-js's default 2-minute backoff.
    const options = { 'grpc.max_reconnect_backoff_ms': 5000 };
    this.clients = {
      realtime: new HealthClientCtor(config.grpc.realtime, internal.channel, options),
      'tile-delta': new HealthClientCtor(config.grpc.tileDelta, internal.channel, options),
      snapshot: new HealthClientCtor(config.grpc.snapshot, internal.channel, options),
    };
  }

  target(dep: GrpcDependency): string {
    return { realtime: this.config.grpc.realtime, 'tile-delta': this.config.grpc.tileDelta, snapshot: this.config.grpc.snapshot }[dep];
  }

  /** Resolves with the serving status, or rejects when the service cannot be reached in time. */
  check(dep: GrpcDependency, timeoutMs = 2000): Promise<ServingStatus> {
    return new Promise((resolve, reject) => {
      this.clients[dep].check({ service: '' }, new Metadata(), { deadline: new Date(Date.now() + timeoutMs) }, (err, res) =>
        err ? reject(err) : resolve(res.status),
      );
    });
  }

  onModuleDestroy() {
    for (const c of Object.values(this.clients)) c.close();
  }
}
