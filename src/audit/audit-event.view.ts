import { ApiProperty } from '@nestjs/swagger';
import {
  AUDIT_ACTIONS,
  AUDIT_OUTCOMES,
  type ActorType,
  type AuditAction,
  type AuditDetail,
  type AuditEventEntity,
  type AuditOutcome,
} from './audit-event.entity';

export class AuditActorView {
  @ApiProperty({ enum: ['api_key', 'user', 'cli', 'system'] })
  type: ActorType;

  @ApiProperty({ type: String, nullable: true, description: 'API key id, `issuer#sub` of a user, or the operating-system user of the CLI' })
  id: string | null;
}

export class AuditEventView {
  @ApiProperty({ example: '42', description: 'Increases with every event' })
  id: string;

  @ApiProperty({ format: 'date-time' })
  at: string;

  @ApiProperty({ enum: AUDIT_ACTIONS })
  action: AuditAction;

  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'The key (or API key) the action was on' })
  keyId: string | null;

  @ApiProperty({ type: AuditActorView })
  actor: AuditActorView;

  @ApiProperty({ type: String, nullable: true, description: 'X-Request-Id of the request' })
  requestId: string | null;

  @ApiProperty({ enum: AUDIT_OUTCOMES })
  outcome: AuditOutcome;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    nullable: true,
    example: { code: 'KEY_NOT_FOUND' },
    description: 'Algorithm, new name, successor id or error code; never key material',
  })
  detail: AuditDetail | null;
}

export function toAuditEventView(event: AuditEventEntity): AuditEventView {
  return {
    id: event.id,
    at: event.at.toISOString(),
    action: event.action,
    keyId: event.keyId,
    actor: { type: event.actorType, id: event.actorId },
    requestId: event.requestId,
    outcome: event.outcome,
    detail: event.detail,
  };
}
