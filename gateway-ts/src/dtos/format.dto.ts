import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';

/**
 * `?format=` of the routes that answer in protobuf or JSON. @ResponseFormat() reads it; it is declared here so
 * that a bad value is a 400 and OpenAPI lists it. Query DTOs of those routes extend this class.
 */
export class FormatQueryDto {
  @ApiPropertyOptional({ enum: ['protobuf', 'json'], description: 'Overrides the Accept header' })
  @IsOptional()
  @IsIn(['protobuf', 'json'])
  format?: 'protobuf' | 'json';
}
