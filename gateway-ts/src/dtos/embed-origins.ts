import { ValidatorConstraint, ValidatorConstraintInterface, ValidationArguments } from 'class-validator';

/** A link may name at most this many embedding origins (each is a CSP frame-ancestors source). */
export const MAX_EMBED_ORIGINS = 20;
export const EMBED_ORIGIN_HINT = 'each http(s)://host[:port], no path, no wildcard';

const ORIGIN_SHAPE = /^https?:\/\/([a-z0-9-]+(\.[a-z0-9-]+)*|\[[0-9a-f:.]+\])(:\d{1,5})?$/;

/**
 * What is wrong with an embedding origin, or null when it is one: http or https, a host, an optional port, nothing
 * else (it goes into a Content-Security-Policy header as it is, so nothing that could end or widen the directive).
 */
export function embedOriginProblem(origin: string): string | null {
  if (origin.includes('*')) return 'wildcards are not allowed';
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return 'is not a URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must be http or https';
  if (url.username || url.password) return 'must not hold credentials';
  // URL.origin drops a default port and lower-cases the host: the origin must already be written that way.
  if (url.origin !== origin) return `must be an origin exactly as browsers send it, without path (${url.origin})`;
  // URL accepts some punctuation in hosts (a quote, say) that a CSP source must not hold.
  if (!ORIGIN_SHAPE.test(origin)) return 'has characters a host name cannot have';
  return null;
}

@ValidatorConstraint({ name: 'embedOrigins' })
export class EmbedOriginsRule implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return Array.isArray(value) && value.every((o) => typeof o === 'string' && embedOriginProblem(o) === null) && new Set(value).size === value.length;
  }

  defaultMessage(args: ValidationArguments): string {
    const list = args.value as string[];
    if (!Array.isArray(list)) return 'embedOrigins must be a list';
    const bad = list.find((o) => typeof o === 'string' && embedOriginProblem(o) !== null);
    if (bad !== undefined) return `embedOrigins: ${JSON.stringify(bad.slice(0, 100))} ${embedOriginProblem(bad)} (${EMBED_ORIGIN_HINT})`;
    return 'embedOrigins lists an origin twice';
  }
}
