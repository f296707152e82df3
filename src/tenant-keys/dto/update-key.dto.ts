import { OmitType, PartialType } from '@nestjs/swagger';
import { NewKeyDto } from './new-key.dto';

/**
 * `PUT /key/:id`: any of the name, the alias, the rotation policy and the signing policy (null removes the last three).
 * Partial as `Optional` is: a null name is refused, not skipped.
 */
export class UpdateKeyDto extends PartialType(OmitType(NewKeyDto, ['issuer'] as const), { skipNullProperties: false }) {}
