import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsEmail, IsIn, IsOptional, IsString, Length, MaxLength } from 'class-validator';
import { UserRow } from '../repositories/users.repository';
import type { SessionKind } from '../repositories/sessions.repository';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);
const lower = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim().toLowerCase() : value);

export const SESSION_KINDS = ['cookie', 'bearer'] as const;

export class SignupDto {
  @ApiProperty({ example: 'ada@example.org', maxLength: 254 })
  @Transform(lower)
  @MaxLength(254)
  @IsEmail({}, { message: 'email must be an email address' })
  email!: string;

  @ApiProperty({ minLength: 8, maxLength: 256, example: 'correct horse battery staple' })
  @Length(8, 256)
  @IsString()
  password!: string;

  @ApiProperty({ minLength: 1, maxLength: 64, example: 'Ada' })
  @Transform(trim)
  @Length(1, 64)
  @IsString()
  displayName!: string;

  @ApiPropertyOptional({ enum: SESSION_KINDS, default: 'cookie', description: 'cookie for browsers, bearer for API clients' })
  @IsOptional()
  @IsIn(SESSION_KINDS)
  session?: SessionKind;
}

export class LoginDto {
  @ApiProperty({ example: 'ada@example.org', maxLength: 254 })
  @Transform(lower)
  @MaxLength(254)
  @IsEmail({}, { message: 'email must be an email address' })
  email!: string;

  @ApiProperty({ maxLength: 256 })
  @Length(1, 256)
  @IsString()
  password!: string;

  @ApiPropertyOptional({ enum: SESSION_KINDS, default: 'cookie', description: 'cookie for browsers, bearer for API clients' })
  @IsOptional()
  @IsIn(SESSION_KINDS)
  session?: SessionKind;
}

export class ChangePasswordDto {
  @ApiProperty({ maxLength: 256 })
  @Length(1, 256)
  @IsString()
  currentPassword!: string;

  @ApiProperty({ minLength: 8, maxLength: 256 })
  @Length(8, 256)
  @IsString()
  newPassword!: string;
}

export class UserDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: ['user', 'guest'] }) kind!: 'user' | 'guest';
  @ApiProperty({ nullable: true, type: String, description: 'null for guests' }) email!: string | null;
  @ApiProperty() displayName!: string;
}

export function mapUser(u: Pick<UserRow, 'id' | 'kind' | 'email' | 'displayName'>): UserDto {
  return { id: u.id, kind: u.kind, email: u.email, displayName: u.displayName };
}

export class SessionInfoDto {
  @ApiProperty({ enum: SESSION_KINDS }) kind!: SessionKind;
  @ApiProperty({ type: String, format: 'date-time' }) expiresAt!: string;
}

export class SessionResponseDto {
  @ApiProperty({ type: UserDto }) user!: UserDto;
  @ApiProperty({ type: SessionInfoDto }) session!: SessionInfoDto;
  @ApiPropertyOptional({ description: 'Bearer token (session=bearer only); shown once' }) token?: string;
  @ApiPropertyOptional({ description: 'Send as X-CSRF-Token with the cookie on state-changing requests (session=cookie only)' })
  csrfToken?: string;
}

export class MeResponseDto {
  @ApiProperty({ type: UserDto }) user!: UserDto;
  @ApiProperty({ type: SessionInfoDto }) session!: SessionInfoDto;
  @ApiPropertyOptional({ description: 'CSRF token of a cookie session' }) csrfToken?: string;
}

export class ChangePasswordResponseDto {
  @ApiProperty({ description: 'How many other sessions and tokens were revoked' }) revokedSessions!: number;
}
