import { Module } from '@nestjs/common';
import { JwksController } from '../controllers/jwks.controller';
import { SigningKeyRepository } from '../repositories/signing-key.repository';
import { SigningKeyService } from '../services/signing-key.service';

/** Ed25519 signing keys and their JWKS. */
@Module({
  controllers: [JwksController],
  providers: [SigningKeyService, SigningKeyRepository],
  exports: [SigningKeyService],
})
export class KeysModule {}
