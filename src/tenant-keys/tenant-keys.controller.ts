import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { ApiEnvelope, ApiErrors, DeletedView } from '../common/api-docs';
import { Actor } from '../audit/actor.decorator';
import { AuditEventView } from '../audit/audit-event.view';
import { AuditTrail, type TenantActor } from '../audit/audit-trail';
import { ListAuditEventsQueryDto } from '../audit/list-audit-events.query';
import { ApiKeyScope, CountsAsRead, CurrentTenant, TenantApiKeyAuth } from '../common/route-access';
import type { TenantPrincipal } from '../common/request-context';
import { Page, ResponseMessage } from '../common/response-envelope';
import { UuidParamPipe } from '../common/uuid-param.pipe';
import { GenerateKeyDto } from './dto/generate-key.dto';
import { ImportKeyDto } from './dto/import-key.dto';
import { ListKeysQueryDto } from './dto/list-keys.query';
import { RotateKeyDto, SignTokenDto, VerifyTokenDto } from './dto/key-usage.dto';
import { KeySigningService, SignedToken, VerifiedToken } from './signing/key-signing.service';
import { UpdateKeyDto } from './dto/update-key.dto';
import { AttachCertificateDto, CertificateRequestDto, CertificateSigningRequestView } from './dto/certificate-requests.dto';
import { KeyCertificatesService } from './certificates/key-certificates.service';
import { ScheduleDeletionDto } from './dto/key-lifecycle.dto';
import { TenantKeyView } from './dto/tenant-key.view';
import { TenantKeysService } from './tenant-keys.service';

const DEFAULT_PAGE_SIZE = 100;

const KEY_ID = ApiParam({ name: 'id', format: 'uuid', description: 'The key id (any case; answered in lowercase)' });

@ApiTags('Tenant keys')
@Controller('key')
@TenantApiKeyAuth()
export class TenantKeysController {
  constructor(
    private readonly keys: TenantKeysService,
    private readonly signing: KeySigningService,
    private readonly certificates: KeyCertificatesService,
    private readonly audit: AuditTrail,
  ) {}

  @ApiKeyScope('keys:read')
  @Get()
  @ApiOperation({
    summary: "List the tenant's keys",
    description: 'Without `limit` or `cursor`: every key, oldest first. With them: a page, and `meta.nextCursor`.',
  })
  @ApiEnvelope(TenantKeyView, { paged: true })
  @ApiErrors(400)
  @ResponseMessage('Keys retrieved')
  list(@CurrentTenant() tenant: TenantPrincipal, @Query() query: ListKeysQueryDto): Promise<TenantKeyView[] | Page<TenantKeyView>> {
    const cursor = query.cursor ?? query.after;
    if (query.limit === undefined && cursor === undefined) return this.keys.listKeys(tenant.tenantId);
    return this.keys.listKeysPage(tenant.tenantId, query.limit ?? DEFAULT_PAGE_SIZE, cursor);
  }

  @ApiKeyScope('keys:write')
  @Post('generate')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Generate a signing key',
    description: 'RSA, RSA-PSS, EC, EdDSA or HMAC; the private key is sealed at rest and never returned.',
  })
  @ApiEnvelope(TenantKeyView)
  @ApiErrors(400, 409, 413, 415)
  @ResponseMessage('Key generated')
  generate(@Actor() actor: TenantActor, @CurrentTenant() tenant: TenantPrincipal, @Body() body: GenerateKeyDto): Promise<TenantKeyView> {
    return this.keys.generateKey(actor, body, { grant: tenant.signKeys });
  }

  @ApiKeyScope('keys:write')
  @Post('generate/:id')
  @HttpCode(200)
  @ApiOperation({ summary: 'Generate a signing key with the id of your choice', description: '409 if the tenant already has a key with this id.' })
  @KEY_ID
  @ApiEnvelope(TenantKeyView)
  @ApiErrors(400, 409, 413, 415)
  @ResponseMessage('Key generated')
  generateWithId(
    @Actor() actor: TenantActor,
    @CurrentTenant() tenant: TenantPrincipal,
    @Param('id', UuidParamPipe) id: string,
    @Body() body: GenerateKeyDto,
  ): Promise<TenantKeyView> {
    return this.keys.generateKey(actor, body, { pathId: id, grant: tenant.signKeys });
  }

  @ApiKeyScope('keys:write')
  @Post('import')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Import a key made elsewhere',
    description: 'PEM (public, private or both), a JWK, or an HMAC secret. A public-only key verifies but cannot sign.',
  })
  @ApiEnvelope(TenantKeyView)
  @ApiErrors(400, 409, 413, 415)
  @ResponseMessage('Key imported')
  import(@Actor() actor: TenantActor, @CurrentTenant() tenant: TenantPrincipal, @Body() body: ImportKeyDto): Promise<TenantKeyView> {
    return this.keys.importKey(actor, body, { grant: tenant.signKeys });
  }

  @ApiKeyScope('keys:write')
  @Post('import/:id')
  @HttpCode(200)
  @ApiOperation({ summary: 'Import a key with the id of your choice' })
  @KEY_ID
  @ApiEnvelope(TenantKeyView)
  @ApiErrors(400, 409, 413, 415)
  @ResponseMessage('Key imported')
  importWithId(
    @Actor() actor: TenantActor,
    @CurrentTenant() tenant: TenantPrincipal,
    @Param('id', UuidParamPipe) id: string,
    @Body() body: ImportKeyDto,
  ): Promise<TenantKeyView> {
    return this.keys.importKey(actor, body, { pathId: id, grant: tenant.signKeys });
  }

  @ApiKeyScope('keys:verify')
  @Post('verify')
  @HttpCode(200)
  @CountsAsRead()
  @ApiOperation({
    summary: "Verify a JWT with the tenant's key named by its `kid`",
    description: '400 with the reason in `message` when it does not verify.',
  })
  @ApiEnvelope(VerifiedToken)
  @ApiErrors(400, 413, 415)
  @ResponseMessage('Token verified')
  verify(@CurrentTenant() tenant: TenantPrincipal, @Body() body: VerifyTokenDto): Promise<VerifiedToken> {
    return this.signing.verifyToken(tenant.tenantId, body.token);
  }

  @ApiKeyScope('keys:sign')
  @Post(':id/sign')
  @HttpCode(200)
  @CountsAsRead()
  @ApiOperation({
    summary: 'Sign a JWT with a key',
    description: '`alg` and `kid` come from the key, `iat` is set. 409 for a key that is not active or has no private key.',
  })
  @KEY_ID
  @ApiEnvelope(SignedToken)
  @ApiErrors(400, 404, 409, 413, 415)
  @ResponseMessage('Token signed')
  sign(
    @Actor() actor: TenantActor,
    @CurrentTenant() tenant: TenantPrincipal,
    @Param('id', UuidParamPipe) id: string,
    @Body() body: SignTokenDto,
  ): Promise<SignedToken> {
    return this.signing.signToken(actor, tenant.signKeys, id, body);
  }

  @ApiKeyScope('keys:write')
  @Post(':id/rotate')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Rotate a key',
    description: 'A successor like it signs from now on; the old key keeps verifying, and stays in the JWKS, for the grace period.',
  })
  @KEY_ID
  @ApiEnvelope(TenantKeyView, { description: 'The successor' })
  @ApiErrors(400, 404, 409, 413, 415)
  @ResponseMessage('Key rotated')
  rotate(
    @Actor() actor: TenantActor,
    @CurrentTenant() tenant: TenantPrincipal,
    @Param('id', UuidParamPipe) id: string,
    @Body() body: RotateKeyDto,
  ): Promise<TenantKeyView> {
    return this.keys.rotateKey(actor, id, body, tenant.signKeys);
  }

  @ApiKeyScope('keys:read')
  @Get('alias/:alias')
  @ApiOperation({ summary: 'Get the key an alias points at', description: 'The active key of its rotation chain.' })
  @ApiParam({ name: 'alias', description: '1 to 64 characters of a-z, 0-9, ".", "_" and "-"' })
  @ApiEnvelope(TenantKeyView)
  @ApiErrors(400, 404)
  @ResponseMessage('Key retrieved')
  getByAlias(@CurrentTenant() tenant: TenantPrincipal, @Param('alias') alias: string): Promise<TenantKeyView> {
    return this.keys.getKeyByAlias(tenant.tenantId, alias);
  }

  @ApiKeyScope('keys:sign')
  @Post('alias/:alias/sign')
  @HttpCode(200)
  @CountsAsRead()
  @ApiOperation({
    summary: 'Sign a JWT with the key an alias points at',
    description: 'As `/key/{id}/sign`; rotations move the alias, callers change nothing.',
  })
  @ApiParam({ name: 'alias', description: '1 to 64 characters of a-z, 0-9, ".", "_" and "-"' })
  @ApiEnvelope(SignedToken)
  @ApiErrors(400, 404, 409, 413, 415)
  @ResponseMessage('Token signed')
  signByAlias(
    @Actor() actor: TenantActor,
    @CurrentTenant() tenant: TenantPrincipal,
    @Param('alias') alias: string,
    @Body() body: SignTokenDto,
  ): Promise<SignedToken> {
    return this.signing.signTokenByAlias(actor, tenant.signKeys, alias, body);
  }

  /** Declared before `:id`, which would take "audit" for an id. */
  @ApiKeyScope('audit:read')
  @Get('audit')
  @ApiOperation({
    summary: "The tenant's audit trail",
    description: 'Every change to its keys and API keys, newest first, in pages; narrowed by key, action and outcome.',
  })
  @ApiEnvelope(AuditEventView, { paged: true })
  @ApiErrors(400)
  @ResponseMessage('Audit events retrieved')
  auditEvents(@CurrentTenant() tenant: TenantPrincipal, @Query() query: ListAuditEventsQueryDto): Promise<Page<AuditEventView>> {
    const { keyId, action, outcome } = query;
    return this.audit.listPage(tenant.tenantId, query.limit ?? DEFAULT_PAGE_SIZE, query.cursor, { keyId, action, outcome });
  }

  @ApiKeyScope('keys:read')
  @Get(':id')
  @ApiOperation({ summary: 'Get a key' })
  @KEY_ID
  @ApiEnvelope(TenantKeyView)
  @ApiErrors(400, 404)
  @ResponseMessage('Key retrieved')
  get(@CurrentTenant() tenant: TenantPrincipal, @Param('id', UuidParamPipe) id: string): Promise<TenantKeyView> {
    return this.keys.getKey(tenant.tenantId, id);
  }

  @ApiKeyScope('keys:write')
  @Put(':id')
  @ApiOperation({
    summary: 'Rename a key, or set its alias or rotation policy',
    description:
      'Any of `name`, `alias`, `rotationPolicy` and `signingPolicy` (null removes the last three; a null `name` is left out, so a ' +
      'body of nulls changes nothing). The FusionAuth wrapper `{ "key": { "name": … } }` is accepted too.',
  })
  @KEY_ID
  @ApiEnvelope(TenantKeyView)
  @ApiErrors(400, 404, 409, 413, 415)
  @ResponseMessage('Key updated')
  update(
    @Actor() actor: TenantActor,
    @CurrentTenant() tenant: TenantPrincipal,
    @Param('id', UuidParamPipe) id: string,
    @Body() body: UpdateKeyDto,
  ): Promise<TenantKeyView> {
    return this.keys.updateKey(actor, id, body, tenant.signKeys);
  }

  @ApiKeyScope('keys:write')
  @Post(':id/csr')
  @HttpCode(200)
  @ApiOperation({
    summary: 'A certificate signing request for the key',
    description: 'PKCS#10, signed by the key, for a CA to issue a certificate from.',
  })
  @KEY_ID
  @ApiEnvelope(CertificateSigningRequestView)
  @ApiErrors(400, 404, 409, 413, 415)
  @ResponseMessage('Certificate signing request created')
  certificateSigningRequest(
    @Actor() actor: TenantActor,
    @CurrentTenant() tenant: TenantPrincipal,
    @Param('id', UuidParamPipe) id: string,
    @Body() body: CertificateRequestDto,
  ): Promise<CertificateSigningRequestView> {
    return this.certificates.createSigningRequest(actor, tenant.signKeys, id, body);
  }

  @ApiKeyScope('keys:write')
  @Put(':id/certificate')
  @ApiOperation({
    summary: 'Attach a CA-issued certificate chain to the key',
    description:
      'Leaf first; the leaf must hold the key, each certificate be signed by the next, all within their dates. The JWKS then carries the chain in x5c.',
  })
  @KEY_ID
  @ApiEnvelope(TenantKeyView)
  @ApiErrors(400, 404, 413, 415)
  @ResponseMessage('Certificate attached')
  attachCertificate(@Actor() actor: TenantActor, @Param('id', UuidParamPipe) id: string, @Body() body: AttachCertificateDto): Promise<TenantKeyView> {
    return this.certificates.attachChain(actor, id, body);
  }

  @ApiKeyScope('keys:write')
  @Post(':id/schedule-deletion')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Schedule the deletion of a key',
    description: 'It leaves the JWKS and neither signs nor verifies at once; it is deleted after `afterSeconds` (default 30 days) unless cancelled.',
  })
  @KEY_ID
  @ApiEnvelope(TenantKeyView)
  @ApiErrors(400, 404, 409, 413, 415)
  @ResponseMessage('Key deletion scheduled')
  scheduleDeletion(@Actor() actor: TenantActor, @Param('id', UuidParamPipe) id: string, @Body() body: ScheduleDeletionDto): Promise<TenantKeyView> {
    return this.keys.scheduleDeletion(actor, id, body.afterSeconds);
  }

  @ApiKeyScope('keys:write')
  @Post(':id/cancel-deletion')
  @HttpCode(200)
  @ApiOperation({ summary: 'Cancel a scheduled deletion', description: 'The key is as it was: its status, and its alias if still free.' })
  @KEY_ID
  @ApiEnvelope(TenantKeyView)
  @ApiErrors(400, 404, 409, 413, 415)
  @ResponseMessage('Key deletion cancelled')
  cancelDeletion(
    @Actor() actor: TenantActor,
    @CurrentTenant() tenant: TenantPrincipal,
    @Param('id', UuidParamPipe) id: string,
  ): Promise<TenantKeyView> {
    return this.keys.cancelDeletion(actor, id, tenant.signKeys);
  }

  @ApiKeyScope('keys:write')
  @Delete(':id')
  @ApiOperation({ summary: 'Delete a key at once', description: 'Tokens it signed stop verifying now; rotation is the gentle way.' })
  @KEY_ID
  @ApiEnvelope(DeletedView)
  @ApiErrors(400, 404)
  @ResponseMessage('Key deleted')
  delete(@Actor() actor: TenantActor, @Param('id', UuidParamPipe) id: string): Promise<DeletedView> {
    return this.keys.deleteKey(actor, id);
  }
}
