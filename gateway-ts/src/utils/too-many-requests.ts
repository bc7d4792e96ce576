import { HttpException, HttpStatus } from '@nestjs/common';

/** 429: a rate or concurrency limit refused the request; the error filter sends Retry-After. */
export class TooManyRequestsException extends HttpException {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message, HttpStatus.TOO_MANY_REQUESTS);
  }
}
