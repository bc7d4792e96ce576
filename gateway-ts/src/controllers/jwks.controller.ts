import { Controller, Get, Header } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Public } from '../middleware/auth.guard';
import { SigningKeyService } from '../services/signing-key.service';

@ApiTags('Operations')
@Controller('.well-known')
export class JwksController {
  constructor(private readonly service: SigningKeyService) {}

  @Public()
  @Get('jwks.json')
  @Header('cache-control', 'public, max-age=60')
  @ApiOperation({ summary: 'Public Ed25519 keys (OKP) that verify room tokens; the newest signs, all verify' })
  @ApiResponse({ status: 200, description: 'JWK Set' })
  jwks() {
    return this.service.jwks();
  }
}
