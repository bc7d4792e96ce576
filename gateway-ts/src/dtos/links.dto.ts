import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsIn, IsInt, IsOptional, IsString, Length, Max, Min, Validate } from 'class-validator';
import { EMBED_ORIGIN_HINT, EmbedOriginsRule, MAX_EMBED_ORIGINS } from './embed-origins';
import { LinkRow } from '../repositories/links.repository';
import { SESSION_KINDS, SessionInfoDto, UserDto } from './auth.dto';
import { GRANTABLE_ROLES, RoomDto } from './rooms.dto';
import type { SessionKind } from '../repositories/sessions.repository';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

export class CreateLinkDto {
  @ApiProperty({ enum: GRANTABLE_ROLES })
  @IsIn(GRANTABLE_ROLES)
  role!: (typeof GRANTABLE_ROLES)[number];

  @ApiPropertyOptional({ minimum: 60, maximum: 31_536_000, description: 'Lifetime of the link; none means until revoked' })
  @IsOptional()
  @Min(60)
  @Max(31_536_000)
  @IsInt()
  expiresInSeconds?: number;

  @embedOriginsProperty()
  @IsOptional()
  @Validate(EmbedOriginsRule)
  @ArrayMaxSize(MAX_EMBED_ORIGINS)
  @IsString({ each: true })
  @IsArray()
  embedOrigins?: string[];
}

function embedOriginsProperty() {
  return ApiPropertyOptional({
    type: [String],
    maxItems: MAX_EMBED_ORIGINS,
    example: ['https://blog.example.com'],
    description: `Origins whose pages may show the link's read-only embed (/embed/{token}) in an iframe: ${EMBED_ORIGIN_HINT}. None: not embeddable. Viewer links only`,
  });
}

/** Body of PATCH /api/rooms/{id}/links/{linkId}. */
export class UpdateLinkDto {
  @embedOriginsProperty()
  @Validate(EmbedOriginsRule)
  @ArrayMaxSize(MAX_EMBED_ORIGINS)
  @IsString({ each: true })
  @IsArray()
  embedOrigins!: string[];
}

export class LinkDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: GRANTABLE_ROLES }) role!: (typeof GRANTABLE_ROLES)[number];
  @ApiProperty({ enum: ['active', 'expired', 'revoked'] }) status!: 'active' | 'expired' | 'revoked';
  @ApiProperty({ type: String, format: 'date-time' }) createdAt!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) expiresAt!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) revokedAt!: string | null;
  @ApiProperty({ type: [String], description: 'Origins that may embed the link (/embed/{token}); empty: not embeddable' })
  embedOrigins!: string[];
}

export class CreatedLinkDto extends LinkDto {
  @ApiProperty({ description: 'The link secret; shown only once' }) token!: string;
  @ApiProperty({ example: 'http://localhost:8080/join/3q2…', description: 'URL to share' }) url!: string;
  @ApiProperty({ example: 'http://localhost:8080/embed/3q2…', description: 'URL of the read-only embed (an iframe src)' })
  embedUrl!: string;
}

export function linkStatus(l: Pick<LinkRow, 'expiresAt' | 'revokedAt'>, now = new Date()): LinkDto['status'] {
  if (l.revokedAt) return 'revoked';
  if (l.expiresAt && l.expiresAt <= now) return 'expired';
  return 'active';
}

export function mapLink(l: LinkRow): LinkDto {
  return {
    id: l.id,
    role: l.role,
    status: linkStatus(l),
    createdAt: l.createdAt.toISOString(),
    expiresAt: l.expiresAt?.toISOString() ?? null,
    revokedAt: l.revokedAt?.toISOString() ?? null,
    embedOrigins: l.embedOrigins,
  };
}

export class LinkPreviewDto {
  @ApiProperty({ format: 'uuid' }) roomId!: string;
  @ApiProperty() roomName!: string;
  @ApiProperty({ enum: GRANTABLE_ROLES }) role!: (typeof GRANTABLE_ROLES)[number];
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) expiresAt!: string | null;
}

export class JoinLinkDto {
  @ApiPropertyOptional({ minLength: 1, maxLength: 64, description: 'Display name of a guest (anonymous callers)' })
  @IsOptional()
  @Transform(trim)
  @Length(1, 64)
  @IsString()
  displayName?: string;

  @ApiPropertyOptional({ enum: SESSION_KINDS, default: 'cookie', description: "Kind of a new guest's session" })
  @IsOptional()
  @IsIn(SESSION_KINDS)
  session?: SessionKind;
}

export class JoinLinkResponseDto {
  @ApiProperty({ type: RoomDto }) room!: RoomDto;
  @ApiProperty({ type: UserDto }) user!: UserDto;
  @ApiPropertyOptional({ type: SessionInfoDto, description: 'Set when a guest session was started' }) session?: SessionInfoDto;
  @ApiPropertyOptional({ description: "A new guest's bearer token (session=bearer)" }) token?: string;
  @ApiPropertyOptional({ description: "A new guest's CSRF token (session=cookie)" }) csrfToken?: string;
}
