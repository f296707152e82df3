import { IsKeyName } from '../../common/dto-decorators';

export class RenameKeyDto {
  @IsKeyName()
  name: string;
}
