import { BadRequestException, ParseUUIDPipe, PipeTransform } from '@nestjs/common';

/** A path id that must be a UUID (400 with a clear message otherwise). */
export const uuidPipe = (name: string) =>
  new ParseUUIDPipe({ exceptionFactory: () => new BadRequestException(`${name} must be a UUID`) });

/** The secret of a share link as it appears in its URL: 32 base64url characters. */
export class LinkTokenPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (!/^[A-Za-z0-9_-]{32}$/.test(value)) throw new BadRequestException('token is not a share-link token');
    return value;
  }
}
