import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { CurrentTenant, TenantApiKeyAuth } from '../auth/decorators';
import type { TenantPrincipal } from '../auth/principals';
import { Page, ResponseMessage } from '../common/response-envelope';
import { UuidParamPipe } from '../common/uuid-param.pipe';
import { GenerateKeyDto } from './dto/generate-key.dto';
import { ImportKeyDto } from './dto/import-key.dto';
import { ListKeysQueryDto } from './dto/list-keys.query';
import { RotateKeyDto, SignTokenDto, VerifyTokenDto } from './dto/key-usage.dto';
import { KeySigningService, type VerifiedToken } from './key-signing.service';
import { RenameKeyDto } from './dto/rename-key.dto';
import type { TenantKeyView } from './dto/tenant-key.view';
import { TenantKeysService } from './tenant-keys.service';

const DEFAULT_PAGE_SIZE = 100;

@Controller('key')
@TenantApiKeyAuth()
export class TenantKeysController {
  constructor(
    private readonly keys: TenantKeysService,
    private readonly signing: KeySigningService,
  ) {}

  @Get()
  @ResponseMessage('Keys retrieved')
  list(@CurrentTenant() tenant: TenantPrincipal, @Query() query: ListKeysQueryDto): Promise<TenantKeyView[] | Page<TenantKeyView>> {
    const cursor = query.cursor ?? query.after;
    if (query.limit === undefined && cursor === undefined) return this.keys.listKeys(tenant.tenantId);
    return this.keys.listKeysPage(tenant.tenantId, query.limit ?? DEFAULT_PAGE_SIZE, cursor);
  }

  @Post('generate')
  @HttpCode(200)
  @ResponseMessage('Key generated')
  generate(@CurrentTenant() tenant: TenantPrincipal, @Body() body: GenerateKeyDto): Promise<TenantKeyView> {
    return this.keys.generateKey(tenant.tenantId, body);
  }

  @Post('generate/:id')
  @HttpCode(200)
  @ResponseMessage('Key generated')
  generateWithId(
    @CurrentTenant() tenant: TenantPrincipal,
    @Param('id', UuidParamPipe) id: string,
    @Body() body: GenerateKeyDto,
  ): Promise<TenantKeyView> {
    return this.keys.generateKey(tenant.tenantId, body, id);
  }

  @Post('import')
  @HttpCode(200)
  @ResponseMessage('Key imported')
  import(@CurrentTenant() tenant: TenantPrincipal, @Body() body: ImportKeyDto): Promise<TenantKeyView> {
    return this.keys.importKey(tenant.tenantId, body);
  }

  @Post('import/:id')
  @HttpCode(200)
  @ResponseMessage('Key imported')
  importWithId(
    @CurrentTenant() tenant: TenantPrincipal,
    @Param('id', UuidParamPipe) id: string,
    @Body() body: ImportKeyDto,
  ): Promise<TenantKeyView> {
    return this.keys.importKey(tenant.tenantId, body, id);
  }

  @Post('verify')
  @HttpCode(200)
  @ResponseMessage('Token verified')
  verify(@CurrentTenant() tenant: TenantPrincipal, @Body() body: VerifyTokenDto): Promise<VerifiedToken> {
    return this.signing.verifyToken(tenant.tenantId, body.token);
  }

  @Post(':id/sign')
  @HttpCode(200)
  @ResponseMessage('Token signed')
  sign(
    @CurrentTenant() tenant: TenantPrincipal,
    @Param('id', UuidParamPipe) id: string,
    @Body() body: SignTokenDto,
  ): Promise<{ token: string }> {
    return this.signing.signToken(tenant.tenantId, id, body);
  }

  @Post(':id/rotate')
  @HttpCode(200)
  @ResponseMessage('Key rotated')
  rotate(
    @CurrentTenant() tenant: TenantPrincipal,
    @Param('id', UuidParamPipe) id: string,
    @Body() body: RotateKeyDto,
  ): Promise<TenantKeyView> {
    return this.keys.rotateKey(tenant.tenantId, id, body);
  }

  @Get(':id')
  @ResponseMessage('Key retrieved')
  get(@CurrentTenant() tenant: TenantPrincipal, @Param('id', UuidParamPipe) id: string): Promise<TenantKeyView> {
    return this.keys.getKey(tenant.tenantId, id);
  }

  @Put(':id')
  @ResponseMessage('Key renamed')
  rename(
    @CurrentTenant() tenant: TenantPrincipal,
    @Param('id', UuidParamPipe) id: string,
    @Body() body: RenameKeyDto,
  ): Promise<TenantKeyView> {
    return this.keys.renameKey(tenant.tenantId, id, body.name);
  }

  @Delete(':id')
  @ResponseMessage('Key deleted')
  delete(@CurrentTenant() tenant: TenantPrincipal, @Param('id', UuidParamPipe) id: string): Promise<{ id: string }> {
    return this.keys.deleteKey(tenant.tenantId, id);
  }
}
