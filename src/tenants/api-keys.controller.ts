import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { Actor } from '../audit/actor.decorator';
import type { TenantActor } from '../audit/audit-trail';
import { ApiEnvelope, ApiErrors, DeletedView } from '../common/api-docs';
import { ValidationFailedError } from '../common/domain-error';
import type { TenantPrincipal } from '../common/request-context';
import { ResponseMessage } from '../common/response-envelope';
import { AnyApiKeyScope, ApiKeyScope, CurrentTenant, TenantApiKeyAuth } from '../common/route-access';
import { UuidParamPipe } from '../common/uuid-param.pipe';
import { ApiKeyView, CreateApiKeyDto, CurrentApiKeyView, IssuedApiKeyView } from './dto/api-key.dto';
import { ApiKeysService } from './api-keys.service';

const API_KEY_ID = ApiParam({ name: 'id', format: 'uuid', description: 'The API key id' });

/** A tenant's API keys, managed with an API key of scope `api-keys:manage`; any key may ask who it is. */
@ApiTags('API keys')
@Controller('api-keys')
@TenantApiKeyAuth()
@ApiKeyScope('api-keys:manage')
export class ApiKeysController {
  constructor(private readonly apiKeys: ApiKeysService) {}

  @Get()
  @ApiOperation({ summary: "List the tenant's API keys", description: 'Revoked and expired ones included; never a secret.' })
  @ApiEnvelope(ApiKeyView, { isArray: true })
  @ResponseMessage('API keys retrieved')
  list(@CurrentTenant() tenant: TenantPrincipal): Promise<ApiKeyView[]> {
    return this.apiKeys.list(tenant.tenantId);
  }

  @Post()
  @HttpCode(200)
  @ApiOperation({
    summary: 'Create an API key',
    description: 'Scopes and signing keys at most those of the calling key; the secret is in the answer, and only there.',
  })
  @ApiEnvelope(IssuedApiKeyView)
  @ApiErrors(400, 409, 413, 415)
  @ResponseMessage('API key created')
  create(@Actor() actor: TenantActor, @CurrentTenant() tenant: TenantPrincipal, @Body() body: CreateApiKeyDto): Promise<IssuedApiKeyView> {
    const expiresAt = body.expiresAt === undefined ? null : new Date(body.expiresAt);
    if (expiresAt && expiresAt.getTime() <= Date.now())
      throw new ValidationFailedError([{ field: 'expiresAt', message: 'expiresAt must be in the future' }]);
    // Key ids are stored and compared in lowercase; aliases are lowercase by rule.
    const signKeys = body.signKeys?.map((key) => key.toLowerCase()) ?? null;
    return this.apiKeys.create(actor, tenant, { name: body.name, scopes: body.scopes, signKeys, expiresAt });
  }

  /** Declared before `:id`, which would take "current" for an id. */
  @Get('current')
  @AnyApiKeyScope()
  @ApiOperation({
    summary: 'The calling API key',
    description: 'Any valid API key of the tenant, whatever its scopes: its tenant, scopes, signing keys and expiry; never its secret.',
  })
  @ApiEnvelope(CurrentApiKeyView)
  @ResponseMessage('API key retrieved')
  current(@CurrentTenant() tenant: TenantPrincipal): Promise<CurrentApiKeyView> {
    return this.apiKeys.current(tenant);
  }

  @Get(':id')
  @ApiOperation({ summary: 'Get an API key' })
  @API_KEY_ID
  @ApiEnvelope(ApiKeyView)
  @ApiErrors(400, 404)
  @ResponseMessage('API key retrieved')
  get(@CurrentTenant() tenant: TenantPrincipal, @Param('id', UuidParamPipe) id: string): Promise<ApiKeyView> {
    return this.apiKeys.get(tenant.tenantId, id);
  }

  @Delete(':id')
  @ApiOperation({ summary: 'Revoke an API key', description: 'At once, on every instance; not the calling key itself.' })
  @API_KEY_ID
  @ApiEnvelope(DeletedView)
  @ApiErrors(400, 404, 409)
  @ResponseMessage('API key revoked')
  revoke(@Actor() actor: TenantActor, @CurrentTenant() tenant: TenantPrincipal, @Param('id', UuidParamPipe) id: string): Promise<DeletedView> {
    return this.apiKeys.revoke(actor, tenant, id);
  }
}
