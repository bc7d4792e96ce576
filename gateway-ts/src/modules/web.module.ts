import { Module } from '@nestjs/common';
import { WebService } from '../services/web.service';

/** The web client at `/` (registered as a Fastify route in app.ts, outside the API). */
@Module({ providers: [WebService], exports: [WebService] })
export class WebModule {}
