import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { isUUID } from 'class-validator';
import { Actor } from '../audit/actor.decorator';
import type { TenantActor } from '../audit/audit-trail';
import { ValidationFailedError } from '../common/domain-error';
import type { TenantPrincipal } from '../common/request-context';
import { FusionAuthApiKeyScope, CountsAsRead, CurrentTenant, FusionAuthApiKeyAuth } from '../common/route-access';
import { GenerateKeyDto } from '../tenant-keys/dto/generate-key.dto';
import { ImportKeyDto } from '../tenant-keys/dto/import-key.dto';
import { UpdateKeyDto } from '../tenant-keys/dto/update-key.dto';
import { KeyNotFoundError } from '../tenant-keys/key-errors';
import { TenantKeysService } from '../tenant-keys/tenant-keys.service';
import { FusionAuthRoute } from './fusionauth-errors';
import { searchKeys, toFusionAuthKey, type FusionAuthKey, type KeySearch } from './fusionauth-key';
import { generateRequest, importRequest, validated } from './fusionauth-requests';
import {
  ApiFusionAuthAnswers,
  FusionAuthGenerateKeyRequestDto,
  FusionAuthImportKeyRequestDto,
  FusionAuthUpdateKeyRequestDto,
  FusionAuthKeyResponseDoc,
  FusionAuthKeySearchDto,
  FusionAuthKeySearchQueryDto,
  FusionAuthKeySearchRequestDto,
  FusionAuthKeySearchResponseDoc,
  FusionAuthKeysResponseDoc,
} from './fusionauth.dto';

export const FUSIONAUTH_TAG = 'FusionAuth compatibility';

const KEY_ID = ApiParam({ name: 'id', format: 'uuid', description: 'The key id' });

/**
 * FusionAuth's Key API (`/api/key`), for FusionAuth's own clients: a translation to the services behind `/key`, so that
 * audit, webhooks, lifecycle and least privilege apply as there. The API key alone authenticates; its tenant is the key's.
 */
@ApiTags(FUSIONAUTH_TAG)
@Controller('api/key')
@FusionAuthApiKeyAuth()
export class FusionAuthKeysController {
  constructor(private readonly keys: TenantKeysService) {}

  @FusionAuthApiKeyScope('keys:read')
  @Get()
  @FusionAuthRoute()
  @ApiOperation({ summary: "FusionAuth's retrieveKeys: every key of the API key's tenant" })
  @ApiFusionAuthAnswers(FusionAuthKeysResponseDoc, 401, 429)
  async retrieveKeys(@CurrentTenant() tenant: TenantPrincipal): Promise<{ keys: FusionAuthKey[] }> {
    return { keys: (await this.keys.listKeys(tenant.tenantId)).map(toFusionAuthKey) };
  }

  @FusionAuthApiKeyScope('keys:read')
  @Get('search')
  @FusionAuthRoute()
  @ApiOperation({ summary: "FusionAuth's searchKeysByParameters", description: 'As `POST /api/key/search`, the criteria in the query.' })
  @ApiFusionAuthAnswers(FusionAuthKeySearchResponseDoc, 400, 401, 429)
  searchKeysByParameters(
    @CurrentTenant() tenant: TenantPrincipal,
    @Query() query: FusionAuthKeySearchQueryDto,
  ): Promise<{ keys: FusionAuthKey[]; total: number }> {
    return this.search(tenant, searchFromQuery(query));
  }

  @FusionAuthApiKeyScope('keys:read')
  @Post('search')
  @HttpCode(200)
  @CountsAsRead()
  @FusionAuthRoute('search')
  @ApiOperation({ summary: "FusionAuth's searchKeys", description: 'By algorithm, name (`*` wildcard) and type; `numberOfResults` from `startRow`.' })
  @ApiFusionAuthAnswers(FusionAuthKeySearchResponseDoc, 400, 401, 413, 415, 429)
  async searchKeys(
    @CurrentTenant() tenant: TenantPrincipal,
    @Body() body: FusionAuthKeySearchRequestDto,
  ): Promise<{ keys: FusionAuthKey[]; total: number }> {
    return this.search(tenant, body.search);
  }

  @FusionAuthApiKeyScope('keys:write')
  @Post('generate')
  @HttpCode(200)
  @FusionAuthRoute('key')
  @ApiOperation({ summary: "FusionAuth's generateKey", description: 'RSA, EC and Ed25519 keys get a self-signed certificate, as in FusionAuth.' })
  @ApiFusionAuthAnswers(FusionAuthKeyResponseDoc, 400, 401, 413, 415, 429)
  generate(
    @Actor() actor: TenantActor,
    @CurrentTenant() tenant: TenantPrincipal,
    @Body() body: FusionAuthGenerateKeyRequestDto,
  ): Promise<{ key: FusionAuthKey }> {
    return this.generateKey(actor, tenant, body, undefined);
  }

  @FusionAuthApiKeyScope('keys:write')
  @Post('generate/:id')
  @HttpCode(200)
  @FusionAuthRoute('key')
  @ApiOperation({ summary: "FusionAuth's generateKey with the id of your choice" })
  @KEY_ID
  @ApiFusionAuthAnswers(FusionAuthKeyResponseDoc, 400, 401, 413, 415, 429)
  generateWithId(
    @Actor() actor: TenantActor,
    @CurrentTenant() tenant: TenantPrincipal,
    @Param('id') id: string,
    @Body() body: FusionAuthGenerateKeyRequestDto,
  ): Promise<{ key: FusionAuthKey }> {
    return this.generateKey(actor, tenant, body, newKeyId(id));
  }

  @FusionAuthApiKeyScope('keys:write')
  @Post('import')
  @HttpCode(200)
  @FusionAuthRoute('key')
  @ApiOperation({ summary: "FusionAuth's importKey", description: 'A public or private PEM, a certificate, or an HMAC secret; `kid` kept if given.' })
  @ApiFusionAuthAnswers(FusionAuthKeyResponseDoc, 400, 401, 413, 415, 429)
  import(
    @Actor() actor: TenantActor,
    @CurrentTenant() tenant: TenantPrincipal,
    @Body() body: FusionAuthImportKeyRequestDto,
  ): Promise<{ key: FusionAuthKey }> {
    return this.importKey(actor, tenant, body, undefined);
  }

  @FusionAuthApiKeyScope('keys:write')
  @Post('import/:id')
  @HttpCode(200)
  @FusionAuthRoute('key')
  @ApiOperation({ summary: "FusionAuth's importKey with the id of your choice" })
  @KEY_ID
  @ApiFusionAuthAnswers(FusionAuthKeyResponseDoc, 400, 401, 413, 415, 429)
  importWithId(
    @Actor() actor: TenantActor,
    @CurrentTenant() tenant: TenantPrincipal,
    @Param('id') id: string,
    @Body() body: FusionAuthImportKeyRequestDto,
  ): Promise<{ key: FusionAuthKey }> {
    return this.importKey(actor, tenant, body, newKeyId(id));
  }

  @FusionAuthApiKeyScope('keys:read')
  @Get(':id')
  @FusionAuthRoute()
  @ApiOperation({ summary: "FusionAuth's retrieveKey" })
  @KEY_ID
  @ApiFusionAuthAnswers(FusionAuthKeyResponseDoc, 401, 404, 429)
  async retrieveKey(@CurrentTenant() tenant: TenantPrincipal, @Param('id') id: string): Promise<{ key: FusionAuthKey }> {
    return { key: toFusionAuthKey(await this.keys.getKey(tenant.tenantId, existingKeyId(id))) };
  }

  @FusionAuthApiKeyScope('keys:write')
  @Put(':id')
  @FusionAuthRoute('key')
  @ApiOperation({
    summary: "FusionAuth's updateKey: renames the key",
    description: 'Only `name` is read: a whole retrieved Key sent back is accepted, its other members ignored.',
  })
  @KEY_ID
  @ApiFusionAuthAnswers(FusionAuthKeyResponseDoc, 400, 401, 404, 413, 415, 429)
  async updateKey(
    @Actor() actor: TenantActor,
    @CurrentTenant() tenant: TenantPrincipal,
    @Param('id') id: string,
    @Body() body: FusionAuthUpdateKeyRequestDto,
  ): Promise<{ key: FusionAuthKey }> {
    const keyId = existingKeyId(id);
    if (body.key.name === undefined || body.key.name === null) throw new ValidationFailedError([{ field: 'name', message: 'name is required' }]);
    const request = await validated(UpdateKeyDto, { name: body.key.name });
    return { key: toFusionAuthKey(await this.keys.updateKey(actor, keyId, request, tenant.signKeys)) };
  }

  @FusionAuthApiKeyScope('keys:write')
  @Delete(':id')
  @FusionAuthRoute()
  @ApiOperation({ summary: "FusionAuth's deleteKey: at once, an empty 200" })
  @KEY_ID
  @ApiFusionAuthAnswers(null, 401, 404, 429)
  async deleteKey(@Actor() actor: TenantActor, @Param('id') id: string): Promise<void> {
    await this.keys.deleteKey(actor, existingKeyId(id));
  }

  private async search(tenant: TenantPrincipal, search: Record<string, unknown>): Promise<{ keys: FusionAuthKey[]; total: number }> {
    const criteria: KeySearch = { numberOfResults: 25, startRow: 0, orderBy: 'name ASC', ...(await validated(FusionAuthKeySearchDto, search)) };
    return searchKeys((await this.keys.listKeys(tenant.tenantId)).map(toFusionAuthKey), criteria);
  }

  private async generateKey(actor: TenantActor, tenant: TenantPrincipal, body: FusionAuthGenerateKeyRequestDto, pathId: string | undefined) {
    const request = await validated(GenerateKeyDto, generateRequest(body.key));
    return { key: toFusionAuthKey(await this.keys.generateKey(actor, request, { pathId, grant: tenant.signKeys })) };
  }

  private async importKey(actor: TenantActor, tenant: TenantPrincipal, body: FusionAuthImportKeyRequestDto, pathId: string | undefined) {
    const request = await validated(ImportKeyDto, importRequest(body.key));
    return { key: toFusionAuthKey(await this.keys.importKey(actor, request, { pathId, grant: tenant.signKeys })) };
  }
}

/** The query's criteria as the body's: numbers read as numbers, FusionAuth's `undefined` left out. */
function searchFromQuery(query: FusionAuthKeySearchQueryDto): Record<string, unknown> {
  const given = Object.entries(query).filter(([, value]) => value !== 'undefined');
  return Object.fromEntries(
    given.map(([name, value]) => [
      name,
      (name === 'numberOfResults' || name === 'startRow') && /^\d{1,9}$/.test(value as string) ? Number(value) : value,
    ]),
  );
}

/** The id a new key is to have: a UUID, or FusionAuth's `[invalid]keyId`. */
function newKeyId(id: string): string {
  if (!isUUID(id, 'all')) throw new ValidationFailedError([{ field: 'keyId', message: 'keyId must be a UUID' }]);
  return id.toLowerCase();
}

/** The id of a key to find: what is no UUID names no key (FusionAuth's 404). */
function existingKeyId(id: string): string {
  if (!isUUID(id, 'all')) throw new KeyNotFoundError();
  return id.toLowerCase();
}
