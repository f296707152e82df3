import { Body, Controller, Delete, Get, Header, HttpCode, Param, Post, Query } from '@nestjs/common';
import { Actor } from '../audit/actor.decorator';
import type { AuditActor } from '../audit/audit-trail';
import { AccessTokenAuth, CurrentUser, RequireScopes } from '../auth/decorators';
import type { UserPrincipal } from '../auth/principals';
import { ResponseMessage } from '../common/response-envelope';
import { UuidParamPipe } from '../common/uuid-param.pipe';
import { ImportUserKeyDto, ListUserKeysQueryDto, RegisterUserKeyDto } from './dto/register-user-key.dto';
import { UserKeysService } from './user-keys.service';

@Controller('keys')
@AccessTokenAuth()
export class UserKeysController {
  constructor(private readonly keys: UserKeysService) {}

  @Get()
  @ResponseMessage('Keys retrieved')
  list(@CurrentUser() user: UserPrincipal, @Query() query: ListUserKeysQueryDto) {
    return this.keys.listKeys(user, query.format);
  }

  @Post('register')
  @HttpCode(200)
  @RequireScopes('add_key')
  @Header('Cache-Control', 'no-store')
  @ResponseMessage('Key registered: store the private key now, it will not be shown again')
  register(@CurrentUser() user: UserPrincipal, @Actor() actor: AuditActor, @Body() body: RegisterUserKeyDto) {
    return this.keys.registerKey(user, actor, body);
  }

  @Post('import')
  @HttpCode(200)
  @RequireScopes('add_key')
  @ResponseMessage('Key imported')
  import(@CurrentUser() user: UserPrincipal, @Actor() actor: AuditActor, @Body() body: ImportUserKeyDto) {
    return this.keys.importKey(user, actor, body);
  }

  @Delete(':id')
  @ResponseMessage('Key deleted')
  delete(@CurrentUser() user: UserPrincipal, @Actor() actor: AuditActor, @Param('id', UuidParamPipe) id: string) {
    return this.keys.deleteKey(user, actor, id);
  }
}
