import { BadRequestException, ParseUUIDPipe, PipeTransform } from '@nestjs/common';
import { PROGRESS_TOKEN } from '../dtos/timelapse.dto';

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

/** The token a client chose to follow its timelapse's progress by (TimelapseQueryDto.progress). */
export class ProgressTokenPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (!PROGRESS_TOKEN.test(value)) throw new BadRequestException('token must be 16 to 64 letters, digits, - or _');
    return value;
  }
}
