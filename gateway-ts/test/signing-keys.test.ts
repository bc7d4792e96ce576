import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { compareKids } from '../src/repositories/signing-key.repository';
import { SigningKeyService } from '../src/services/signing-key.service';
import { Caller, Gateway, signup, startGateway } from './helpers';
import { verifyWithJwks } from './jwt';

const CLI = join(__dirname, '../src/cli/new-signing-key.js');

/** A UTC stamp as the chart writes it into key names, `offsetMs` from now. */
const stamp = (offsetMs: number) => new Date(Date.now() + offsetMs).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');

function writeKey(dir: string, kid: string) {
  const { privateKey } = generateKeyPairSync('ed25519');
  writeFileSync(join(dir, `${kid}.pem`), privateKey.export({ format: 'pem', type: 'pkcs8' }));
}

describe('signing keys made by the CLI and by the chart', () => {
  let gw: Gateway;
  let dir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gw-keys-'));
    // The key the chart generated on install, an hour ago.
    writeKey(dir, `ed25519-${stamp(-3600_000)}`);
    gw = await startGateway({ GATEWAY_SIGNING_KEY_DIR: dir });
  });
  after(() => gw.close());

  async function signingKid(): Promise<string> {
    await gw.app.get(SigningKeyService).reload();
    const owner = await signup(gw.url, 'keys');
    const room = (await owner.post('/api/rooms', { name: 'Keys' })).json.id;
    const jwks = (await new Caller(gw.url).get('/.well-known/jwks.json')).json;
    return verifyWithJwks((await owner.post(`/api/rooms/${room}/token`)).json.token, jwks).header.kid;
  }

  it('a key added by the CLI signs although a chart-named key is present', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [CLI], { env: { ...process.env, GATEWAY_SIGNING_KEY_DIR: dir } });
    const { kid } = JSON.parse(stdout) as { kid: string };
    assert.match(kid, /^ed25519-\d{8}T\d{6}Z-[0-9a-f]{8}$/, 'the CLI names keys as the chart does');
    assert.equal(readdirSync(dir).length, 2);
    assert.equal(await signingKid(), kid);
  });

  it('a newer chart-named key signs after it: the time in the name decides, not the name', async () => {
    const chart = `ed25519-${stamp(3600_000)}`;
    writeKey(dir, chart);
    assert.equal(await signingKid(), chart);
  });

  it('orders names of every format by their UTC stamp; names without one are the oldest', () => {
    const kids = ['ed25519-20250301T000000Z', '20250201T000000Z-0a1b2c3d', 'handmade', 'ed25519-20250101T000000Z-ffffffff', 'ed25519-20250201T000000Z-00000000'];
    assert.deepEqual(kids.sort(compareKids), [
      'handmade',
      'ed25519-20250101T000000Z-ffffffff',
      '20250201T000000Z-0a1b2c3d',
      'ed25519-20250201T000000Z-00000000',
      'ed25519-20250301T000000Z',
    ]);
  });
});
