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

/**
 * The key directory (GATEWAY_SIGNING_KEY_DIR): one PKCS#8 PEM file per Ed25519 key, named `<kid>.pem`.
 * Keys sort by name; the last one signs. Generated names start with the UTC time, so a new key sorts last.
 */
@Injectable()
export class SigningKeyRepository {
  constructor(@Inject(CONFIG) private readonly config: GatewayConfig) {}

  get dir(): string {
    return this.config.signingKeyDir;
  }

  /** All keys in the directory, oldest first (by name). Files that are not Ed25519 keys are an error. */
  async list(): Promise<SigningKey[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const keys: SigningKey[] = [];
    for (const name of names.filter((n) => n.endsWith('.pem')).sort()) {
      const kid = name.slice(0, -4);
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
    const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
    const kid = `${stamp}-${randomBytes(4).toString('hex')}`;
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const pem = privateKey.export({ format: 'pem', type: 'pkcs8' });
    await writeFile(join(this.dir, `${kid}.pem`), pem, { flag: 'wx', mode: 0o600 });
    return { kid, privateKey, publicKey };
  }
}
