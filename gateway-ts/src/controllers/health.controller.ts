import { Controller, Get, Header, Res } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { FastifyReply } from 'fastify';
import { Public } from '../middleware/auth.guard';
import { HealthService } from '../services/health.service';
import { MetricsService } from '../services/metrics.service';

@ApiTags('Operations')
@Controller()
export class HealthController {
  constructor(
    private readonly service: HealthService,
    private readonly metrics: MetricsService,
  ) {}

  @Public()
  @Get('healthz')
  @ApiOperation({ summary: 'Readiness: Postgres, Redis and the gRPC services (grpc.health.v1)' })
  @ApiResponse({ status: 200, description: 'Every dependency is up' })
  @ApiResponse({ status: 503, description: 'At least one dependency is down; `message` names them' })
  async health(@Res({ passthrough: true }) reply: FastifyReply) {
    const { ok, report } = await this.service.check();
    void reply.status(ok ? 200 : 503);
    return report;
  }

  @Public()
  @Get('metrics')
  @Header('cache-control', 'no-store')
  @ApiOperation({ summary: 'Prometheus metrics' })
  @ApiResponse({ status: 200, description: 'Prometheus text format' })
  async prometheus(@Res({ passthrough: true }) reply: FastifyReply) {
    const { contentType, body } = await this.metrics.render();
    void reply.header('content-type', contentType);
    return body;
  }
}
