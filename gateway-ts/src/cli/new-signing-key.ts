/**
 * Adds a new Ed25519 signing key to GATEWAY_SIGNING_KEY_DIR (key rotation), named
 * `ed25519-<UTC YYYYMMDDTHHMMSSZ>-<hex>.pem` like the chart's keys. Running gateways pick it up within a
 * minute: the key with the newest stamp signs, and the older keys stay published until their files are
 * removed (wait at least the room-token lifetime after rotating before removing one).
 *   node dist/cli/new-signing-key.js
 */
import { resolve } from 'node:path';
import { SigningKeyRepository } from '../repositories/signing-key.repository';
import type { GatewayConfig } from '../config';
import { loadConfig } from '../config';

async function main() {
  // Only the key directory matters here; the other variables need not be set.
  const dir = process.env.GATEWAY_SIGNING_KEY_DIR;
  const signingKeyDir = dir
    ? resolve(dir)
    : loadConfig({ DATABASE_URL: 'postgres://unused/unused', REDIS_URL: 'redis://unused:1', ...process.env }).signingKeyDir;
  const repository = new SigningKeyRepository({ signingKeyDir } as GatewayConfig);
  const key = await repository.generate();
  process.stdout.write(`${JSON.stringify({ kid: key.kid, dir: signingKeyDir })}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${String(err)}\n`);
  process.exit(1);
});
