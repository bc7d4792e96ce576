import { Inject, Injectable } from '@nestjs/common';
import { createPrivateKey, createPublicKey, generateKeyPairSync, KeyObject, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CONFIG, GatewayConfig } from '../config';

/** One Ed25519 signing key; kid is its file name without ".pem". */
export interface SigningKey {
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
}

const KID = /^[A-Za-z0-9_.-]{1,100}$/;
/** The UTC time a key was made, as it appears in its name: YYYYMMDDTHHMMSSZ. */
const STAMP = /\d{8}T\d{6}Z/;

/** The kid of a new key made at `now`: `ed25519-<UTC YYYYMMDDTHHMMSSZ>-<suffix>` (the chart leaves out the suffix). */
function newKid(now: Date, suffix: string): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `ed25519-${stamp}-${suffix}`;
}

/**
 * Orders kids oldest first: by the first UTC stamp in the name (wherever it stands, so names from older
 * releases, `<stamp>-<hex>`, order right too), names without a stamp before every stamped one, equal
 * stamps by name. Fixed-width stamps compare as strings.
 */
export function compareKids(a: string, b: string): number {
  const sa = STAMP.exec(a)?.[0] ?? '';
  const sb = STAMP.exec(b)?.[0] ?? '';
  if (sa !== sb) return sa < sb ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The key directory (GATEWAY_SIGNING_KEY_DIR): one PKCS#8 PEM file per Ed25519 key, named `<kid>.pem`,
 * where kid is `ed25519-<UTC YYYYMMDDTHHMMSSZ>[-<suffix>]` (the CLI and the chart both name keys so).
 * Keys are ordered by that time (compareKids) and the newest signs, whoever made it.
 */
@Injectable()
export class SigningKeyRepository {
  constructor(@Inject(CONFIG) private readonly config: GatewayConfig) {}

  get dir(): string {
    return this.config.signingKeyDir;
  }

  /** All keys in the directory, oldest first (compareKids). Files that are not Ed25519 keys are an error. */
  async list(): Promise<SigningKey[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const keys: SigningKey[] = [];
    const kids = names.filter((n) => n.endsWith('.pem')).map((n) => n.slice(0, -4));
    for (const kid of kids.sort(compareKids)) {
      const name = `${kid}.pem`;
      if (!KID.test(kid)) throw new Error(`signing key file name ${name} is not a valid key id`);
      const privateKey = createPrivateKey(await readFile(join(this.dir, name)));
      if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error(`signing key ${name} is not an Ed25519 key`);
      keys.push({ kid, privateKey, publicKey: createPublicKey(privateKey) });
    }
    return keys;
  }

  /** Writes a new key named after the current time; never overwrites an existing file. */
  async generate(now = new Date()): Promise<SigningKey> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    // The suffix keeps two keys made in the same second apart.
    const kid = newKid(now, randomBytes(4).toString('hex'));
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const pem = privateKey.export({ format: 'pem', type: 'pkcs8' });
    await writeFile(join(this.dir, `${kid}.pem`), pem, { flag: 'wx', mode: 0o600 });
    return { kid, privateKey, publicKey };
  }
}
