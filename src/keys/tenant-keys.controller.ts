import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put } from '@nestjs/common';
import { CurrentTenant, TenantApiKeyAuth } from '../auth/decorators';
import type { TenantPrincipal } from '../auth/principals';
import { ResponseMessage } from '../common/response-envelope';
import { UuidParamPipe } from '../common/uuid-param.pipe';
import { GenerateKeyDto } from './dto/generate-key.dto';
import { RenameKeyDto } from './dto/rename-key.dto';
import type { TenantKeyView } from './dto/tenant-key.view';
import { TenantKeysService } from './tenant-keys.service';

@Controller('key')
@TenantApiKeyAuth()
export class TenantKeysController {
  constructor(private readonly keys: TenantKeysService) {}

  @Get()
  @ResponseMessage('Keys retrieved')
  list(@CurrentTenant() tenant: TenantPrincipal): Promise<TenantKeyView[]> {
    return this.keys.listKeys(tenant.tenantId);
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
