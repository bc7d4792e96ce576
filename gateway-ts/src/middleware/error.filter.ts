import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus } from '@nestjs/common';
import { FastifyReply, FastifyRequest } from 'fastify';
import { STATUS_CODES } from 'node:http';
import { PinoLogger } from 'nestjs-pino';
import { grpcToHttp, isGrpcError } from '../utils/grpc-error';
import { TooManyRequestsException } from '../utils/too-many-requests';

/** The one shape of every error answer. */
export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
  requestId: string;
  /** Every problem found, when validation found several. */
  details?: string[];
}

function fromHttpException(e: HttpException): { status: number; message: string; details?: string[] } {
  const status = e.getStatus();
  const body = e.getResponse();
  if (typeof body === 'string') return { status, message: body };
  const m = (body as { message?: unknown }).message;
  if (Array.isArray(m)) {
    const details = m.map(String);
    return { status, message: details.join('; '), details };
  }
  return { status, message: typeof m === 'string' ? m : e.message };
}

/**
 * Turns every exception into `{statusCode, error, message, requestId}`: Nest's HttpExceptions, Fastify's
 * own errors (body too large, bad JSON, unsupported media type), failed gRPC calls, and anything else as a
 * 500 that says nothing about internals.
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

    let status: number = HttpStatus.INTERNAL_SERVER_ERROR;
    let message = 'internal server error';
    let details: string[] | undefined;
    if (exception instanceof HttpException) {
      ({ status, message, details } = fromHttpException(exception));
    } else if (isGrpcError(exception)) {
      ({ status, message } = grpcToHttp(exception));
    } else if (exception instanceof Error && typeof (exception as { statusCode?: unknown }).statusCode === 'number') {
      // Fastify's errors (FST_ERR_CTP_*): body too large, empty or malformed JSON, unsupported media type.
      const code = (exception as unknown as { statusCode: number }).statusCode;
      if (code >= 400 && code < 600) {
        status = code;
        message = code < 500 ? exception.message : message;
      }
    }

    if (exception instanceof TooManyRequestsException) void reply.header('retry-after', String(exception.retryAfterSeconds));
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
