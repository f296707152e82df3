import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsUUID } from 'class-validator';
import { OptionalQuery } from '../common/dto-decorators';
import { PageQueryDto } from '../common/page-query.dto';

/** `GET /key/audit?limit=&cursor=&keyId=`: the tenant's events, newest first; `keyId` narrows to one key. */
export class ListAuditEventsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ format: 'uuid', description: 'Only the events of this key' })
  @OptionalQuery()
  @IsUUID('all', { message: 'keyId must be a UUID' })
  keyId?: string;
}
