import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional, ApiResponse } from '@nestjs/swagger';
import { STATUS_CODES } from 'node:http';

/** Every error answer has this shape. */
export class ErrorResponseDto {
  @ApiProperty({ example: 400 }) statusCode!: number;
  @ApiProperty({ example: 'Bad Request' }) error!: string;
  @ApiProperty({ example: 'name must be shorter than or equal to 100 characters' }) message!: string;
  @ApiProperty({ example: '1b9d6bcd-bbfd-4b2d-9b5d-ab8dfbbd4bed' }) requestId!: string;
  @ApiPropertyOptional({ type: [String], description: 'Every problem, when validation found several' }) details?: string[];
}

/** Documents error answers of an operation, all with ErrorResponseDto. */
export const ErrorResponses = (...statuses: number[]) =>
  applyDecorators(...statuses.map((status) => ApiResponse({ status, type: ErrorResponseDto, description: STATUS_CODES[status] })));
