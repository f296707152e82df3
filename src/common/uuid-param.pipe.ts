import { Injectable, type ArgumentMetadata, type PipeTransform } from '@nestjs/common';
import { isUUID } from 'class-validator';
import { ValidationFailedError } from './domain-error';

/** A path id must be a UUID; a malformed one is a 400 naming the parameter. */
@Injectable()
export class UuidParamPipe implements PipeTransform<string, string> {
  transform(value: string, metadata: ArgumentMetadata): string {
    return uuidParameter(value, metadata.data ?? 'id');
  }
}

/** `value` as a lower-case UUID, or a 400 naming `field` (for routes outside Nest's pipes). */
export function uuidParameter(value: string, field: string): string {
  if (!isUUID(value, 'all')) throw new ValidationFailedError([{ field, message: `${field} must be a UUID` }]);
  return value.toLowerCase();
}
