import { Injectable } from '@nestjs/common';
import { BinaryReader, BinaryWriter } from '@bufbuild/protobuf/wire';
import { Upstream } from '../utils/upstream-error';
import { GrpcClient, GrpcClientFactory } from './grpc-client';

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

/** Asks each gRPC dependency for its overall status (service "") with grpc.health.v1. */
@Injectable()
export class GrpcHealthRepository {
  private readonly clients: Record<Upstream, GrpcClient>;

  constructor(clients: GrpcClientFactory) {
    this.clients = { realtime: clients.create('realtime'), 'tile-delta': clients.create('tile-delta'), snapshot: clients.create('snapshot') };
  }

  target(dep: Upstream): string {
    return this.clients[dep].target;
  }

  /** Resolves with the serving status, or rejects (UpstreamError) when the service cannot be reached in time. */
  async check(dep: Upstream, timeoutMs = 2000): Promise<ServingStatus> {
    return (await this.clients[dep].call(healthService.check, { service: '' }, timeoutMs)).status;
  }
}
