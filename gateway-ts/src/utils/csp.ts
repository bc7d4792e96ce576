import { GatewayConfig } from '../config';

/** CSP directives as @fastify/helmet takes them: a list of sources, or null to leave the directive out. */
export type CspDirectives = Record<string, string[] | null>;

/**
 * Content-Security-Policy of the web client (the docs page gets a looser one, app.ts); the embed page's differs only in
 * frame-ancestors, the origins its link names.
 */
export function cspDirectives(config: GatewayConfig, frameAncestors: string[] = ["'none'"]): CspDirectives {
  const realtime = new URL(config.realtimePublicUrl);
  return {
    defaultSrc: ["'self'"],
    scriptSrc: ["'self'"],
    styleSrc: ["'self'"],
    imgSrc: ["'self'", 'data:', 'blob:'],
    fontSrc: ["'self'", 'data:'],
    // The snapshot route may redirect to a presigned URL of the object store (GATEWAY_SNAPSHOT_ORIGINS).
    connectSrc: ["'self'", `${realtime.protocol}//${realtime.host}`, ...config.snapshotOrigins],
    workerSrc: ["'self'", 'blob:'],
    objectSrc: ["'none'"],
    baseUri: ["'none'"],
    formAction: ["'self'"],
    frameAncestors,
    upgradeInsecureRequests: config.publicOrigin.startsWith('https:') ? [] : null,
  };
}

/** The header value of a set of directives, written as helmet writes them. */
export function cspHeader(directives: CspDirectives): string {
  return Object.entries(directives)
    .filter((e): e is [string, string[]] => e[1] !== null)
    .map(([name, sources]) => [name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`), ...sources].join(' '))
    .join(';');
}
