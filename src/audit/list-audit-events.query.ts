import { IsOptional, IsUUID } from 'class-validator';
import { PageQueryDto } from '../common/page-query.dto';

/** `GET /key/audit?limit=&cursor=&keyId=`: the tenant's events, newest first; `keyId` narrows to one key. */
export class ListAuditEventsQueryDto extends PageQueryDto {
  @IsOptional()
  @IsUUID('all', { message: 'keyId must be a UUID' })
  keyId?: string;
}
