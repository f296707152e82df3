import { Body, Controller, Delete, Get, Header, HttpCode, Param, Post, Query } from '@nestjs/common';
import { Actor } from '../audit/actor.decorator';
import type { AuditActor } from '../audit/audit-trail';
import { ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { ApiEnvelope, ApiErrors, DeletedView } from '../common/api-docs';
import { RegisteredUserKeyView, UserKeyView } from './dto/user-key.view';
import { AccessTokenAuth, CurrentUser, RequireScopes } from '../common/route-access';
import type { UserPrincipal } from '../common/request-context';
import { ResponseMessage } from '../common/response-envelope';
import { UuidParamPipe } from '../common/uuid-param.pipe';
import { ImportUserKeyDto, ListUserKeysQueryDto, RegisterUserKeyDto } from './dto/register-user-key.dto';
import { UserKeysService } from './user-keys.service';

@ApiTags('User keys')
@Controller('keys')
@AccessTokenAuth()
export class UserKeysController {
  constructor(private readonly keys: UserKeysService) {}

  @Get()
  @ApiOperation({ summary: 'List my public keys' })
  @ApiEnvelope(UserKeyView, { isArray: true })
  @ApiErrors(400)
  @ResponseMessage('Keys retrieved')
  list(@CurrentUser() user: UserPrincipal, @Query() query: ListUserKeysQueryDto) {
    return this.keys.listKeys(user, query.format);
  }

  @Post('register')
  @HttpCode(200)
  @RequireScopes('add_key')
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    summary: 'Register a new key pair (scope add_key)',
    description: 'The private key is in this answer only: it is never stored and cannot be shown again.',
  })
  @ApiEnvelope(RegisteredUserKeyView)
  @ApiErrors(400, 409, 413, 415)
  @ResponseMessage('Key registered: store the private key now, it will not be shown again')
  register(@CurrentUser() user: UserPrincipal, @Actor() actor: AuditActor, @Body() body: RegisterUserKeyDto) {
    return this.keys.registerKey(user, actor, body);
  }

  @Post('import')
  @HttpCode(200)
  @RequireScopes('add_key')
  @ApiOperation({ summary: 'Import a public key of my own (scope add_key)' })
  @ApiEnvelope(UserKeyView)
  @ApiErrors(400, 409, 413, 415)
  @ResponseMessage('Key imported')
  import(@CurrentUser() user: UserPrincipal, @Actor() actor: AuditActor, @Body() body: ImportUserKeyDto) {
    return this.keys.importKey(user, actor, body);
  }

  @Delete(':id')
  @ApiOperation({ summary: 'Delete one of my keys' })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiEnvelope(DeletedView)
  @ApiErrors(400, 404)
  @ResponseMessage('Key deleted')
  delete(@CurrentUser() user: UserPrincipal, @Actor() actor: AuditActor, @Param('id', UuidParamPipe) id: string) {
    return this.keys.deleteKey(user, actor, id);
  }
}
