import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { Actor } from '../audit/actor.decorator';
import { AuditTrail, type AuditEventView, type TenantActor } from '../audit/audit-trail';
import { ListAuditEventsQueryDto } from '../audit/list-audit-events.query';
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
    private readonly audit: AuditTrail,
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
  generate(@Actor() actor: TenantActor, @Body() body: GenerateKeyDto): Promise<TenantKeyView> {
    return this.keys.generateKey(actor, body);
  }

  @Post('generate/:id')
  @HttpCode(200)
  @ResponseMessage('Key generated')
  generateWithId(
    @Actor() actor: TenantActor,
    @Param('id', UuidParamPipe) id: string,
    @Body() body: GenerateKeyDto,
  ): Promise<TenantKeyView> {
    return this.keys.generateKey(actor, body, id);
  }

  @Post('import')
  @HttpCode(200)
  @ResponseMessage('Key imported')
  import(@Actor() actor: TenantActor, @Body() body: ImportKeyDto): Promise<TenantKeyView> {
    return this.keys.importKey(actor, body);
  }

  @Post('import/:id')
  @HttpCode(200)
  @ResponseMessage('Key imported')
  importWithId(
    @Actor() actor: TenantActor,
    @Param('id', UuidParamPipe) id: string,
    @Body() body: ImportKeyDto,
  ): Promise<TenantKeyView> {
    return this.keys.importKey(actor, body, id);
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
    @Actor() actor: TenantActor,
    @Param('id', UuidParamPipe) id: string,
    @Body() body: SignTokenDto,
  ): Promise<{ token: string }> {
    return this.signing.signToken(actor, id, body);
  }

  @Post(':id/rotate')
  @HttpCode(200)
  @ResponseMessage('Key rotated')
  rotate(
    @Actor() actor: TenantActor,
    @Param('id', UuidParamPipe) id: string,
    @Body() body: RotateKeyDto,
  ): Promise<TenantKeyView> {
    return this.keys.rotateKey(actor, id, body);
  }

  /** Declared before `:id`, which would take "audit" for an id. */
  @Get('audit')
  @ResponseMessage('Audit events retrieved')
  auditEvents(@CurrentTenant() tenant: TenantPrincipal, @Query() query: ListAuditEventsQueryDto): Promise<Page<AuditEventView>> {
    return this.audit.listPage(tenant.tenantId, query.limit ?? DEFAULT_PAGE_SIZE, query.cursor, query.keyId);
  }

  @Get(':id')
  @ResponseMessage('Key retrieved')
  get(@CurrentTenant() tenant: TenantPrincipal, @Param('id', UuidParamPipe) id: string): Promise<TenantKeyView> {
    return this.keys.getKey(tenant.tenantId, id);
  }

  @Put(':id')
  @ResponseMessage('Key renamed')
  rename(
    @Actor() actor: TenantActor,
    @Param('id', UuidParamPipe) id: string,
    @Body() body: RenameKeyDto,
  ): Promise<TenantKeyView> {
    return this.keys.renameKey(actor, id, body.name);
  }

  @Delete(':id')
  @ResponseMessage('Key deleted')
  delete(@Actor() actor: TenantActor, @Param('id', UuidParamPipe) id: string): Promise<{ id: string }> {
    return this.keys.deleteKey(actor, id);
  }
}
