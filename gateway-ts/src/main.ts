import { ConfigError, loadConfig } from './config';
import { Logger } from 'nestjs-pino';
import { createApp } from './app';

async function main() {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${JSON.stringify({ level: 'fatal', service: 'gateway-ts', msg: err.message, issues: err.issues })}\n`);
      process.exit(2);
    }
    throw err;
  }
  const app = await createApp(config);
  // Nest's enableShutdownHooks() re-raises the signal after closing, so the process would die "by
  // signal"; the contract is drain and exit 0. app.close() runs the same hooks (stop listening, wait
  // for in-flight requests, close the pools and gRPC channels).
  let closing = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (closing) return;
    closing = true;
    app.get(Logger).log(`${signal} received; shutting down`);
    app.close().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`${JSON.stringify({ level: 'error', service: 'gateway-ts', msg: 'shutdown failed', err: String(err) })}\n`);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
  await app.listen({ host: config.http.host, port: config.http.port });
}

main().catch((err: unknown) => {
  process.stderr.write(`${JSON.stringify({ level: 'fatal', service: 'gateway-ts', msg: 'start-up failed', err: String(err instanceof Error ? err.stack : err) })}\n`);
  process.exit(1);
});
