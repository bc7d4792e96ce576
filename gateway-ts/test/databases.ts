import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

/** The shared test database (make test migrates it). */
export const SHARED_TEST_DATABASE_URL =
  process.env.TEST_DATABASE_URL ?? 'postgres://infidraw:infidraw@127.0.0.1:55432/infidraw_test?sslmode=disable';

/** A database of a test's own and how to drop it. */
export interface OwnDatabase {
  url: string;
  drop(): Promise<void>;
}

async function admin(sql: string): Promise<void> {
  const c = new Client({ connectionString: SHARED_TEST_DATABASE_URL });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

/**
 * Creates a database of the caller's own, a copy of the migrated template that `scripts/backing.sh template`
 * keeps (TEST_DATABASE_TEMPLATE). Stacks that start tile-delta-go need one: its follower snapshots every room
 * of its database, so in the shared one it would work through every room the other tests left. Named
 * `<shared database>_<pid>_<hex>`, so that backing.sh drops the ones a killed test process left behind.
 */
export async function ownDatabase(): Promise<OwnDatabase> {
  const template = process.env.TEST_DATABASE_TEMPLATE ?? 'infidraw_test_template';
  const url = new URL(SHARED_TEST_DATABASE_URL);
  const name = `${url.pathname.slice(1)}_${process.pid}_${randomBytes(4).toString('hex')}`;
  try {
    await admin(`create database "${name}" template "${template}"`);
  } catch (err) {
    throw new Error(`create a database from the template ${template} (run scripts/backing.sh template): ${String(err)}`);
  }
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => admin(`drop database if exists "${name}" with (force)`) };
}
