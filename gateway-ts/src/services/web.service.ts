import { BadRequestException, Inject, Injectable, NotFoundException } from '@nestjs/common';
import { FastifyReply, FastifyRequest } from 'fastify';
import { stat } from 'node:fs/promises';
import { extname, relative, resolve, sep } from 'node:path';
import { CONFIG, GatewayConfig } from '../config';

const NOT_BUILT = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>infidraw</title></head>
<body><h1>infidraw</h1><p>The web client is not built yet. Build it with <code>npm run build -w web</code>;
the gateway serves <code>web/dist</code> (WEB_DIST_DIR) at <code>/</code>. The REST API is at
<a href="/api/docs">/api/docs</a>.</p></body></html>
`;

// Vite (and most bundlers) put content-hashed files under assets/ or name them name-<hash>.ext.
const HASHED = /(^|\/)assets\/|[.-][A-Za-z0-9_-]{8,}\.(js|mjs|css|woff2?|png|svg|jpg|webp|wasm|map)$/;

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/**
 * Serves the built web client at `/`: files of WEB_DIST_DIR (hashed assets cached for a year, the rest
 * revalidated), index.html for every other path that is not under /api (the client routes itself), and a
 * short page saying so when the client is not built.
 */
@Injectable()
export class WebService {
  private readonly root: string;

  constructor(@Inject(CONFIG) config: GatewayConfig) {
    this.root = resolve(config.webDistDir);
  }

  get rootDir(): string {
    return this.root;
  }

  async serve(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const path = request.url.split('?')[0];
    if (path === '/api' || path.startsWith('/api/')) throw new NotFoundException(`no route for ${request.method} ${path.length > 100 ? `${path.slice(0, 100)}…` : path}`);
    let decoded: string;
    try {
      decoded = decodeURIComponent(path);
    } catch {
      throw new BadRequestException('malformed path');
    }
    if (decoded.includes('\0')) throw new BadRequestException('malformed path');

    const index = resolve(this.root, 'index.html');
    if (!(await isFile(index))) {
      return reply.status(200).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(NOT_BUILT);
    }
    if (decoded === '/') return this.index(reply);
    const full = resolve(this.root, `.${decoded}`);
    const inside = full.startsWith(this.root + sep);
    if (inside && (await isFile(full))) {
      const rel = relative(this.root, full).split(sep).join('/');
      const cache = HASHED.test(rel) ? 'public, max-age=31536000, immutable' : 'public, max-age=0, must-revalidate';
      if (rel === 'index.html') return this.index(reply);
      return reply.header('cache-control', cache).sendFile(rel, this.root, { cacheControl: false });
    }
    if (!inside || extname(decoded) !== '') throw new NotFoundException(`no file ${path}`);
    return this.index(reply);
  }

  private index(reply: FastifyReply): FastifyReply {
    return reply.header('cache-control', 'no-cache').sendFile('index.html', this.root, { cacheControl: false });
  }

  /** A page of the built client (embed.html), or the page saying the client is not built. */
  async page(reply: FastifyReply, file: string, cacheControl: string): Promise<FastifyReply> {
    if (!(await isFile(resolve(this.root, file)))) {
      return reply.status(200).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(NOT_BUILT);
    }
    return reply.header('cache-control', cacheControl).sendFile(file, this.root, { cacheControl: false });
  }
}
