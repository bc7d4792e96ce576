import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
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
  health() {
    return this.service.check();
  }

  @Public()
  @Get('metrics')
  @ApiOperation({ summary: 'Prometheus metrics' })
  @ApiResponse({ status: 200, description: 'Prometheus text format' })
  prometheus() {
    return this.metrics.render();
  }
}
