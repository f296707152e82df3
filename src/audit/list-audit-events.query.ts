import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsUUID } from 'class-validator';
import { OptionalQuery } from '../common/dto-decorators';
import { PageQueryDto } from '../common/page-query.dto';
import { AUDIT_ACTIONS, AUDIT_OUTCOMES, type AuditAction, type AuditOutcome } from './audit-event.entity';

/**
 * `GET /key/audit?limit=&cursor=&keyId=&action=&outcome=`: the tenant's events, newest first; each filter given
 * narrows the list, and together they all apply.
 */
export class ListAuditEventsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ format: 'uuid', description: 'Only the events of this key' })
  @OptionalQuery()
  @IsUUID('all', { message: 'keyId must be a UUID' })
  keyId?: string;

  @ApiPropertyOptional({ enum: AUDIT_ACTIONS, description: 'Only the events of this action' })
  @OptionalQuery()
  @IsIn(AUDIT_ACTIONS, { message: `action must be one of ${AUDIT_ACTIONS.join(', ')}` })
  action?: AuditAction;

  @ApiPropertyOptional({ enum: AUDIT_OUTCOMES, description: 'Only the events with this outcome' })
  @OptionalQuery()
  @IsIn(AUDIT_OUTCOMES, { message: `outcome must be one of ${AUDIT_OUTCOMES.join(', ')}` })
  outcome?: AuditOutcome;
}
