import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { FastifyRequest } from 'fastify';
import { isIPv6 } from 'node:net';

/** The 16-bit groups of an IPv6 address (an embedded IPv4 tail counts as two). */
function ipv6Groups(ip: string): string[] {
  const expand = (part: string) => (part === '' ? [] : part.split(':').flatMap((g) => (g.includes('.') ? ['v4', 'v4'] : [g])));
  const [head, tail] = ip.split('::');
  if (tail === undefined) return expand(head);
  const h = expand(head);
  const t = expand(tail);
  return [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
}

/**
 * The key rate limits count a client under: its IPv4 address (also when written IPv4-mapped), or the
 * /64 of its IPv6 address, since one subscriber usually holds a whole /64 and could step through it.
 */
export function addressKey(ip: string): string {
  const bare = ip.split('%')[0];
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(bare);
  if (mapped) return mapped[1];
  if (!isIPv6(bare)) return bare;
  const prefix = ipv6Groups(bare)
    .slice(0, 4)
    .map((g) => parseInt(g, 16).toString(16));
  return `${prefix.join(':')}::/64`;
}

/**
 * The client's address as rate limits key it (addressKey of request.ip: the socket's peer, or the
 * address X-Forwarded-For names when the peer is one of GATEWAY_TRUSTED_PROXIES).
 */
export const ClientAddress = createParamDecorator((_: unknown, ctx: ExecutionContext): string =>
  addressKey(ctx.switchToHttp().getRequest<FastifyRequest>().ip),
);
