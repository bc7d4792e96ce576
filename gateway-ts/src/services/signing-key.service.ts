import { Inject, Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';
import { randomUUID, sign } from 'node:crypto';
import { CONFIG, GatewayConfig } from '../config';
import { SigningKey, SigningKeyRepository } from '../repositories/signing-key.repository';
import { PeriodicJob } from '../utils/periodic-job';

export interface Jwk {
  kty: string;
  crv: string;
  x: string;
  kid: string;
  alg: 'EdDSA';
  use: 'sig';
}

const b64url = (data: Buffer | string) => Buffer.from(data).toString('base64url');

/**
 * Holds the Ed25519 keys: generates the first one when the directory is empty, signs with the newest and
 * publishes all of them. The directory is read again every minute, so rotation is adding a key file.
 */
@Injectable()
export class SigningKeyService implements OnModuleInit, OnModuleDestroy {
  private keys: SigningKey[] = [];
  private readonly reloader: PeriodicJob<void>;

  constructor(
    private readonly repository: SigningKeyRepository,
    @Inject(CONFIG) private readonly config: GatewayConfig,
    @InjectPinoLogger(SigningKeyService.name) private readonly logger: PinoLogger,
  ) {
    this.reloader = new PeriodicJob(
      () => this.reload(),
      (err) => this.logger.error({ err }, 'reloading signing keys failed'),
    );
  }

  async onModuleInit() {
    await this.reload();
    if (this.keys.length === 0) {
      const key = await this.repository.generate();
      this.logger.info({ kid: key.kid, dir: this.repository.dir }, 'generated the first signing key');
      await this.reload();
    }
    this.reloader.start(60_000);
  }

  onModuleDestroy() {
    return this.reloader.stop();
  }

  /** Reads the key directory again; keeps the keys it has when the directory is unreadable or empty. */
  async reload(): Promise<void> {
    const keys = await this.repository.list();
    if (keys.length === 0) return;
    const before = this.keys.map((k) => k.kid).join(',');
    this.keys = keys;
    const after = keys.map((k) => k.kid).join(',');
    if (before !== after) this.logger.info({ kids: keys.map((k) => k.kid), signing: this.current().kid }, 'signing keys loaded');
  }

  private current(): SigningKey {
    const key = this.keys.at(-1);
    if (!key) throw new Error('no signing key loaded');
    return key;
  }

  /** The public keys as a JWK Set. */
  jwks(): { keys: Jwk[] } {
    return {
      keys: this.keys.map((k) => {
        const jwk = k.publicKey.export({ format: 'jwk' });
        return { kty: jwk.kty!, crv: jwk.crv!, x: jwk.x!, kid: k.kid, alg: 'EdDSA', use: 'sig' };
      }),
    };
  }

  /** Signs claims as a compact JWS (EdDSA) with the newest key; adds iat, exp and jti. */
  signJwt(claims: Record<string, unknown>, ttlSeconds: number, now = Date.now()): { token: string; expiresAt: Date } {
    const key = this.current();
    const iat = Math.floor(now / 1000);
    const exp = iat + ttlSeconds;
    const header = { alg: 'EdDSA', typ: 'JWT', kid: key.kid };
    const payload = { ...claims, iat, exp, jti: randomUUID() };
    const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
    const signature = sign(null, Buffer.from(input), key.privateKey);
    return { token: `${input}.${b64url(signature)}`, expiresAt: new Date(exp * 1000) };
  }

  get roomTokenTtlSeconds(): number {
    return this.config.roomTokenTtlSeconds;
  }
}
