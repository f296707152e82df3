import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, IsString, Matches, Max, Min } from 'class-validator';
import { OptionalQuery } from './dto-decorators';

const toNumber = ({ value }: { value: unknown }) => (typeof value === 'string' && value.trim() !== '' ? Number(value) : value);
export const CURSOR = /^[A-Za-z0-9_-]{1,200}$/;

/** `?limit=&cursor=` of a paged list; the cursor is `meta.nextCursor` of the page before. */
export class PageQueryDto {
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 1000, default: 100 })
  @OptionalQuery()
  @Transform(toNumber)
  @IsInt({ message: 'limit must be an integer' })
  @Min(1, { message: 'limit must be 1 to 1000' })
  @Max(1000, { message: 'limit must be 1 to 1000' })
  limit?: number;

  @ApiPropertyOptional({ description: '`meta.nextCursor` of the page before' })
  @OptionalQuery()
  @IsString({ message: 'cursor must be a string' })
  @Matches(CURSOR, { message: 'cursor must be a cursor from a previous page' })
  cursor?: string;
}
