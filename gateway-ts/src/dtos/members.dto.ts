import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsEmail, IsIn, MaxLength } from 'class-validator';
import { MemberRow } from '../repositories/members.repository';
import { GRANTABLE_ROLES, ROLES } from './rooms.dto';

const lower = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim().toLowerCase() : value);

export class InviteMemberDto {
  @ApiProperty({ example: 'grace@example.org', description: 'Email of a registered user' })
  @Transform(lower)
  @MaxLength(254)
  @IsEmail({}, { message: 'email must be an email address' })
  email!: string;

  @ApiProperty({ enum: GRANTABLE_ROLES })
  @IsIn(GRANTABLE_ROLES)
  role!: (typeof GRANTABLE_ROLES)[number];
}

export class UpdateMemberDto {
  @ApiProperty({ enum: GRANTABLE_ROLES })
  @IsIn(GRANTABLE_ROLES)
  role!: (typeof GRANTABLE_ROLES)[number];
}

export class MemberDto {
  @ApiProperty({ format: 'uuid' }) userId!: string;
  @ApiProperty({ enum: ['user', 'guest'] }) kind!: 'user' | 'guest';
  @ApiProperty() displayName!: string;
  @ApiProperty({ type: String, nullable: true, description: 'Shown to the owner only; null for guests' }) email!: string | null;
  @ApiProperty({ enum: ROLES }) role!: (typeof ROLES)[number];
  @ApiProperty({ description: 'Access comes from a share link (ends when the link is revoked or expires)' }) viaLink!: boolean;
  @ApiProperty({ type: String, format: 'date-time' }) joinedAt!: string;
}

export function mapMember(m: MemberRow, showEmail: boolean): MemberDto {
  return {
    userId: m.userId,
    kind: m.kind,
    displayName: m.displayName,
    email: showEmail ? m.email : null,
    role: m.role,
    viaLink: m.viaLinkId !== null,
    joinedAt: m.createdAt.toISOString(),
  };
}
