import { HttpStatus } from '@nestjs/common';
import { status as GrpcStatus, ServiceError } from '@grpc/grpc-js';

export function isGrpcError(err: unknown): err is ServiceError {
  return (
    err instanceof Error &&
    typeof (err as Partial<ServiceError>).code === 'number' &&
    'metadata' in err &&
    'details' in err
  );
}

/** The HTTP answer to a failed call to a gRPC service: the caller's mistakes are 4xx, the rest 5xx. */
export function grpcToHttp(err: ServiceError, service = 'realtime'): { status: number; message: string } {
  const details = err.details || err.message;
  switch (err.code) {
    case GrpcStatus.INVALID_ARGUMENT:
    case GrpcStatus.OUT_OF_RANGE:
    case GrpcStatus.FAILED_PRECONDITION:
      return { status: HttpStatus.BAD_REQUEST, message: details };
    case GrpcStatus.NOT_FOUND:
      return { status: HttpStatus.NOT_FOUND, message: details };
    case GrpcStatus.ALREADY_EXISTS:
    case GrpcStatus.ABORTED:
      return { status: HttpStatus.CONFLICT, message: details };
    case GrpcStatus.PERMISSION_DENIED:
      return { status: HttpStatus.FORBIDDEN, message: details };
    case GrpcStatus.RESOURCE_EXHAUSTED:
      return { status: HttpStatus.TOO_MANY_REQUESTS, message: details };
    case GrpcStatus.UNAVAILABLE:
      return { status: HttpStatus.SERVICE_UNAVAILABLE, message: `${service} service unavailable` };
    case GrpcStatus.DEADLINE_EXCEEDED:
      return { status: HttpStatus.GATEWAY_TIMEOUT, message: `${service} service did not answer in time` };
    default:
      return { status: HttpStatus.BAD_GATEWAY, message: `${service} service failed: ${details}` };
  }
}

/**
 * The wait a RESOURCE_EXHAUSTED answer names in its `retry-after` trailer (whole seconds,
 * docs/contracts.md); undefined when it names none.
 */
export function grpcRetryAfterSeconds(err: ServiceError): number | undefined {
  const value = Number(err.metadata.get('retry-after')[0]);
  return Number.isInteger(value) && value > 0 ? Math.min(value, 3600) : undefined;
}
