import { HttpException, HttpStatus } from '@nestjs/common';

/** A limit refused the request for now; the error filter sends Retry-After. */
export class RetryLaterException extends HttpException {
  constructor(
    message: string,
    status: HttpStatus.TOO_MANY_REQUESTS | HttpStatus.SERVICE_UNAVAILABLE,
    readonly retryAfterSeconds: number,
  ) {
    super(message, status);
  }
}

/** 429: a rate or concurrency limit refused the request. */
export class TooManyRequestsException extends RetryLaterException {
  constructor(message: string, retryAfterSeconds: number) {
    super(message, HttpStatus.TOO_MANY_REQUESTS, retryAfterSeconds);
  }
}

/** 503: this process holds as many of something (open event streams) as it may; another one may not. */
export class BusyException extends RetryLaterException {
  constructor(message: string, retryAfterSeconds: number) {
    super(message, HttpStatus.SERVICE_UNAVAILABLE, retryAfterSeconds);
  }
}
