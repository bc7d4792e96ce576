import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** Lowest port of the kernel's ephemeral range (Linux's default when unreadable). */
function ephemeralLow(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > 11000 ? low : 32768;
  } catch {
    return 32768;
  }
}

function canListen(port: number): Promise<boolean> {
  return new Promise((ok) => {
    const s = createServer();
    s.unref();
    s.once('error', () => ok(false));
    s.listen(port, '127.0.0.1', () => s.close(() => ok(true)));
  });
}

/**
 * A loopback port that was free a moment ago, chosen at random below the kernel's ephemeral range.
 * A port the kernel hands out for port 0 lies inside that range, where any outgoing connection may
 * take it as its source port before the server under test binds it (a CI race). Same rule as Go's
 * localtest.Port.
 */
export async function freePort(): Promise<number> {
  const floor = 10000;
  const low = ephemeralLow();
  for (let i = 0; i < 200; i++) {
    const port = floor + Math.floor(Math.random() * (low - floor));
    if (await canListen(port)) return port;
  }
  throw new Error(`no free port in [${floor}, ${low}) after 200 tries`);
}
