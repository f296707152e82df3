import { IsString, Length } from 'class-validator';
import { Trim } from '../../common/dto-transforms';

export class RenameKeyDto {
  @Trim()
  @IsString({ message: 'name must be a string' })
  @Length(1, 255, { message: 'name must be 1 to 255 characters' })
  name: string;
}
