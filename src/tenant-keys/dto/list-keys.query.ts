import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsString, Matches } from 'class-validator';
import { OptionalQuery } from '../../common/dto-decorators';
import { CURSOR, PageQueryDto } from '../../common/page-query.dto';

/** `GET /key?limit=&cursor=`: without them every key, as the source says; with them, pages in creation order. */
export class ListKeysQueryDto extends PageQueryDto {
  /** The same as `cursor`, for clients that name it so. */
  @ApiPropertyOptional({ description: 'The same as `cursor`' })
  @OptionalQuery()
  @IsString({ message: 'after must be a string' })
  @Matches(CURSOR, { message: 'after must be a cursor from a previous page' })
  after?: string;
}
