import { ConfigError, loadConfig } from './config';
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
  app.enableShutdownHooks(['SIGTERM', 'SIGINT']);
  await app.listen({ host: config.http.host, port: config.http.port });
}

main().catch((err: unknown) => {
  process.stderr.write(`${JSON.stringify({ level: 'fatal', service: 'gateway-ts', msg: 'start-up failed', err: String(err instanceof Error ? err.stack : err) })}\n`);
  process.exit(1);
});
