import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus } from '@nestjs/common';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { FastifyReply, FastifyRequest } from 'fastify';
import { STATUS_CODES } from 'node:http';
import { PinoLogger } from 'nestjs-pino';
import { RetryLaterException } from '../utils/too-many-requests';
import { UpstreamError } from '../utils/upstream-error';

/** The one shape of every error answer. */
export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
  requestId: string;
  /** Every problem found, when validation found several. */
  details?: string[];
}

/** What an exception becomes: the status, the message, and the wait a 429 or 503 names. */
interface Answer {
  status: number;
  message: string;
  details?: string[];
  retryAfterSeconds?: number;
}

function fromHttpException(e: HttpException): Answer {
  const status = e.getStatus();
  const retryAfterSeconds = e instanceof RetryLaterException ? e.retryAfterSeconds : undefined;
  const body = e.getResponse();
  const m = typeof body === 'string' ? body : (body as { message?: unknown }).message;
  if (Array.isArray(m)) {
    const details = m.map(String);
    return { status, message: details.join('; '), details, retryAfterSeconds };
  }
  return { status, message: typeof m === 'string' ? m : e.message, retryAfterSeconds };
}

/**
 * A message over a gRPC size limit: grpc-js reports a reply larger than the client accepts ("Received
 * message larger than max"), and a Go server a request larger than it accepts ("grpc: received message
 * larger than max"), as RESOURCE_EXHAUSTED, the code of "overloaded, retry later". Retrying cannot help.
 */
const TOO_LARGE = /message larger than max/i;
const REQUEST_TOO_LARGE = /^grpc: received message larger than max/i;

/**
 * The HTTP answer to a failed call to a gRPC service: the caller's mistakes are 4xx with the service's own
 * words, the service's trouble 5xx naming the service. RESOURCE_EXHAUSTED (overloaded) is 429 with the wait the
 * service named, if it named one.
 */
export function upstreamToHttp(err: UpstreamError): Answer {
  const { service, details } = err;
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
      return { status: HttpStatus.TOO_MANY_REQUESTS, message: details, retryAfterSeconds: err.retryAfterSeconds };
    case GrpcStatus.UNAVAILABLE:
      return { status: HttpStatus.SERVICE_UNAVAILABLE, message: `${service} service unavailable` };
    case GrpcStatus.DEADLINE_EXCEEDED:
      return { status: HttpStatus.GATEWAY_TIMEOUT, message: `${service} service did not answer in time` };
    default:
      // UNAUTHENTICATED included: the service refused the gateway's credentials, not the caller's.
      return { status: HttpStatus.BAD_GATEWAY, message: `${service} service failed: ${details}` };
  }
}

const INTERNAL: Answer = { status: HttpStatus.INTERNAL_SERVER_ERROR, message: 'internal server error' };

function answerFor(exception: unknown): Answer {
  if (exception instanceof HttpException) return fromHttpException(exception);
  if (exception instanceof UpstreamError) return upstreamToHttp(exception);
  // Fastify's own errors (FST_ERR_CTP_*): body too large, empty or malformed JSON, unsupported media type.
  const code = exception instanceof Error ? (exception as { statusCode?: unknown }).statusCode : undefined;
  if (typeof code === 'number' && code >= 400 && code < 600) return { status: code, message: code < 500 ? (exception as Error).message : INTERNAL.message };
  return INTERNAL;
}

/**
 * Turns every exception into `{statusCode, error, message, requestId}`: Nest's HttpExceptions, Fastify's
 * own errors, failed gRPC calls (UpstreamError, the one place their status is mapped), and anything else as
 * a 500 that says nothing about internals.
 */
@Catch()
export class ErrorFilter implements ExceptionFilter {
  constructor(private readonly logger: PinoLogger) {
    logger.setContext(ErrorFilter.name);
  }

  catch(exception: unknown, host: ArgumentsHost) {
    const ctx = host.switchToHttp();
    const reply = ctx.getResponse<FastifyReply>();
    const request = ctx.getRequest<FastifyRequest>();

    const { status, message, details, retryAfterSeconds } = answerFor(exception);

    if (retryAfterSeconds !== undefined) void reply.header('retry-after', String(retryAfterSeconds));
    if (status >= 500) {
      this.logger.error({ err: exception, requestId: request.id, url: request.url }, 'request failed');
    }

    const body: ErrorBody = {
      statusCode: status,
      error: STATUS_CODES[status] ?? 'Error',
      message,
      requestId: String(request.id),
      ...(details ? { details } : {}),
    };
    if (reply.sent) return;
    void reply.status(status).header('content-type', 'application/json; charset=utf-8').send(body);
  }
}
