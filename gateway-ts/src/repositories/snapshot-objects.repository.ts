import { Inject, Injectable } from '@nestjs/common';
import { Client as MinioClient } from 'minio';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { CONFIG, GatewayConfig } from '../config';

/** What the store knows about an object without reading it. */
export interface ObjectInfo {
  size: number;
}

/**
 * Reads tile snapshots from the object store tile-delta-go writes (OBJECT_STORE_URL: a directory or an S3
 * bucket). Read-only. Keys are slash-separated, built by the caller from validated integers.
 */
@Injectable()
export class SnapshotObjectsRepository {
  private readonly s3?: MinioClient;

  constructor(@Inject(CONFIG) private readonly config: GatewayConfig) {
    const o = config.objectStore;
    if (o.kind === 's3') {
      this.s3 = new MinioClient({
        endPoint: o.host,
        port: o.port,
        useSSL: o.secure,
        accessKey: o.accessKey,
        secretKey: o.secretKey,
        ...(o.region ? { region: o.region } : {}),
      });
    }
  }

  private path(key: string): string {
    const o = this.config.objectStore;
    if (o.kind !== 'file') throw new Error('not a filesystem store');
    if (key.includes('..') || key.startsWith('/') || key.includes('\\')) throw new Error(`bad object key ${key}`);
    return join(o.dir, ...key.split('/'));
  }

  /** Size of the object, or null when it does not exist. */
  async stat(key: string): Promise<ObjectInfo | null> {
    const o = this.config.objectStore;
    try {
      if (o.kind === 'file') {
        const s = await stat(this.path(key));
        return s.isFile() ? { size: s.size } : null;
      }
      const s = await this.s3!.statObject(o.bucket, key);
      return { size: s.size };
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }

  /** The object's bytes, or null when it does not exist. */
  async read(key: string): Promise<Buffer | null> {
    const o = this.config.objectStore;
    try {
      if (o.kind === 'file') return await readFile(this.path(key));
      const stream = await this.s3!.getObject(o.bucket, key);
      const chunks: Buffer[] = [];
      for await (const chunk of stream) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks);
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }
}

function isNotFound(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'NoSuchKey' || code === 'NotFound' || code === 'NoSuchBucket';
}
