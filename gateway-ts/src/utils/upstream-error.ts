import { status as GrpcStatus, ServiceError } from '@grpc/grpc-js';

/** The gRPC services the gateway depends on, by the names its errors, metrics and health report use. */
export type Upstream = 'realtime' | 'tile-delta' | 'snapshot';

/** The longest wait a service's `retry-after` trailer is passed on with: a larger value is a bug, not a plan. */
const MAX_RETRY_AFTER_SECONDS = 3600;

/**
 * A call to a service the gateway depends on failed, with the gRPC status the service gave (or grpc-js, for a
 * deadline or a service it cannot reach). Services let it propagate: the error filter is the one place that turns
 * it into an HTTP answer.
 */
export class UpstreamError extends Error {
  override readonly name = 'UpstreamError';

  constructor(
    readonly service: Upstream,
    /** The RPC's name, e.g. GetEvents. */
    readonly method: string,
    readonly code: GrpcStatus,
    /** The status message: the service's own words for the caller's mistakes. */
    readonly details: string,
    /** The wait a RESOURCE_EXHAUSTED answer named in its `retry-after` trailer (docs/contracts.md), if any. */
    readonly retryAfterSeconds?: number,
    options?: ErrorOptions,
  ) {
    super(`${service} ${method}: ${GrpcStatus[code] ?? code}: ${details}`, options);
  }

  static fromServiceError(service: Upstream, method: string, err: ServiceError): UpstreamError {
    return new UpstreamError(service, method, err.code, err.details || err.message, retryAfterSeconds(err), { cause: err });
  }
}

/** The whole seconds of a `retry-after` trailer; undefined when there is none or it is not a positive integer. */
function retryAfterSeconds(err: ServiceError): number | undefined {
  const value = Number(err.metadata?.get('retry-after')[0]);
  return Number.isInteger(value) && value > 0 ? Math.min(value, MAX_RETRY_AFTER_SECONDS) : undefined;
}
