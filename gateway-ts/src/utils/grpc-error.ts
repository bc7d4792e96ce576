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

/**
 * A message over a gRPC size limit: grpc-js reports a reply larger than the client accepts ("Received
 * message larger than max"), and a Go server a request larger than it accepts ("grpc: received message
 * larger than max"), as RESOURCE_EXHAUSTED, the code of "overloaded, retry later". Retrying cannot help.
 */
const TOO_LARGE = /message larger than max/i;
const REQUEST_TOO_LARGE = /^grpc: received message larger than max/i;

/** The HTTP answer to a failed call to a gRPC service: the caller's mistakes are 4xx, the rest 5xx. */
export function grpcToHttp(err: ServiceError, service = 'realtime'): { status: number; message: string } {
  const details = err.details || err.message;
  if (err.code === GrpcStatus.RESOURCE_EXHAUSTED && TOO_LARGE.test(details)) {
    return REQUEST_TOO_LARGE.test(details)
      ? { status: HttpStatus.PAYLOAD_TOO_LARGE, message: `the request is larger than the ${service} service accepts: ${details}` }
      : { status: HttpStatus.BAD_GATEWAY, message: `${service} service answered more than the gateway accepts: ${details}` };
  }
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
