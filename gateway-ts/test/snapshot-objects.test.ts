import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Client as MinioClient } from 'minio';
import { loadConfig } from '../src/config';
import { SnapshotObjectsRepository } from '../src/repositories/snapshot-objects.repository';
import { testEnv } from './helpers';

/** The gateway reads the object store tile-delta-go writes: a directory, or S3 (SeaweedFS from backing.sh). */

const S3_ENDPOINT = process.env.S3_ENDPOINT ?? '127.0.0.1:58333';
const reachable = () => new Promise<boolean>((ok) => {
  const [host, port] = [S3_ENDPOINT.slice(0, S3_ENDPOINT.lastIndexOf(':')), Number(S3_ENDPOINT.slice(S3_ENDPOINT.lastIndexOf(':') + 1))];
  const s = connect({ host, port }, () => (s.destroy(), ok(true)));
  s.on('error', () => ok(false));
});

describe('snapshot object store', () => {
  const dirs: string[] = [];
  after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('file://: stat and read a key, null for a missing one, refuses keys that climb out', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-objstore-'));
    dirs.push(dir);
    mkdirSync(join(dir, 'rooms', 'r1', '0', '0_0'), { recursive: true });
    writeFileSync(join(dir, 'rooms', 'r1', '0', '0_0', '7.png'), Buffer.from('png-bytes'));
    const repo = new SnapshotObjectsRepository(loadConfig(testEnv({ OBJECT_STORE_URL: `file://${dir}` })));
    assert.deepEqual(await repo.stat('rooms/r1/0/0_0/7.png'), { size: 9 });
    assert.equal((await repo.read('rooms/r1/0/0_0/7.png'))?.toString(), 'png-bytes');
    assert.equal(await repo.stat('rooms/r1/0/0_0/8.png'), null);
    assert.equal(await repo.read('rooms/r2/0/0_0/7.png'), null);
    await assert.rejects(repo.read('rooms/../../etc/passwd'), /bad object key/);
  });

  it('a bad OBJECT_STORE_URL is refused at start', () => {
    assert.throws(() => loadConfig(testEnv({ OBJECT_STORE_URL: 'ftp://x' })), /OBJECT_STORE_URL/);
    assert.throws(() => loadConfig(testEnv({ OBJECT_STORE_URL: 's3://bucket' })), /OBJECT_STORE_URL/);
  });

  it('s3://: stat and read through the minio client', async (t) => {
    if (!(await reachable())) return t.skip(`no S3 at ${S3_ENDPOINT} (bash scripts/backing.sh start s3)`);
    const bucket = `gw-test-${randomUUID().slice(0, 8)}`;
    const [host, port] = S3_ENDPOINT.split(':');
    const accessKey = process.env.S3_ACCESS_KEY ?? 'infidraw';
    const secretKey = process.env.S3_SECRET_KEY ?? 'infidraw-secret-key';
    const admin = new MinioClient({ endPoint: host, port: Number(port), useSSL: false, accessKey, secretKey });
    await admin.makeBucket(bucket);
    try {
      await admin.putObject(bucket, 'rooms/r1/2/-1_3/42.png', Buffer.from('s3-png'));
      const repo = new SnapshotObjectsRepository(
        loadConfig(testEnv({ OBJECT_STORE_URL: `s3://${bucket}?endpoint=${S3_ENDPOINT}`, S3_ACCESS_KEY: accessKey, S3_SECRET_KEY: secretKey })),
      );
      assert.deepEqual(await repo.stat('rooms/r1/2/-1_3/42.png'), { size: 6 });
      assert.equal((await repo.read('rooms/r1/2/-1_3/42.png'))?.toString(), 's3-png');
      assert.equal(await repo.stat('rooms/r1/2/-1_3/43.png'), null);
      assert.equal(await repo.read('rooms/r1/2/-1_3/43.png'), null);
    } finally {
      await admin.removeObject(bucket, 'rooms/r1/2/-1_3/42.png').catch(() => {});
      await admin.removeBucket(bucket).catch(() => {});
    }
  });
});
