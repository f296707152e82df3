import { ApiProperty } from '@nestjs/swagger';
import { Inject, Injectable } from '@nestjs/common';
import { decodeProtectedHeader, errors as joseErrors, jwtVerify, type JWTPayload, type ProtectedHeaderParameters } from 'jose';
import { CLOCK_TOLERANCE_SECONDS } from '../../crypto/jwt-checks';
import { protectedHeader, signJwt, type ProtectedHeader } from '../../crypto/jwt-signing';
import { assertRuntimeSupports } from '../../crypto/ml-dsa-runtime';
import { storedPublicKey } from '../../crypto/stored-public-keys';
import { ValidationFailedError } from '../../common/domain-error';
import { APP_CONFIG, type RuntimeConfig } from '../../config/config';
import type { SignTokenDto } from '../dto/key-usage.dto';
import { effectiveStatus, type TenantKeyEntity } from '../entities/tenant-key.entity';
import { TenantCacheService } from '../../tenants/tenant-cache.service';
import { CertificateExpiredError, KeyNotActiveError, KeyNotFoundError, TokenRejectedError } from '../key-errors';
import { openSigningKey } from '../material/key-material';
import { KeyCustody } from '../material/key-custody';
import { TenantKeysRepository } from '../tenant-keys.repository';
import { UnitOfWork } from '../../changes/unit-of-work';
import { AuditTrail, type AuditEvent, type TenantActor } from '../../audit/audit-trail';
import { validAlias } from '../../common/key-names';
import { applySigningPolicy } from './signing-policy';
import { callerHeader } from './token-header';
import { assertMaySignWith, type SignGrant } from './sign-grant';
import { SecretSealer } from '../../sealing/secret-sealer';

export class VerifiedToken {
  @ApiProperty({ enum: [true] })
  valid: true;

  @ApiProperty({ type: 'object', additionalProperties: true, example: { alg: 'ES256', kid: '…', typ: 'JWT' } })
  header: ProtectedHeaderParameters;

  @ApiProperty({ type: 'object', additionalProperties: true, example: { sub: 'user-42', iat: 1763900000 } })
  payload: JWTPayload;

  @ApiProperty({ format: 'uuid', description: 'The key that verified it' })
  keyId: string;
}

export class SignedToken {
  @ApiProperty({ description: 'Compact JWS' })
  token: string;
}

/** Signs and verifies JWTs with a tenant's stored keys; the private key never leaves the service. */
@Injectable()
export class KeySigningService {
  constructor(
    private readonly keys: TenantKeysRepository,
    private readonly cache: TenantCacheService,
    private readonly audit: AuditTrail,
    private readonly work: UnitOfWork,
    private readonly custody: KeyCustody,
    private readonly sealer: SecretSealer,
    @Inject(APP_CONFIG) private readonly config: RuntimeConfig,
  ) {}

  /** With `AUDIT_SIGN=true`, every signature (and every refusal) is in the audit trail. */
  async signToken(actor: TenantActor, signKeys: SignGrant, id: string, request: SignTokenDto): Promise<SignedToken> {
    if (!this.config.auditSign) return this.sign(actor.tenantId, signKeys, id, request);
    const event: AuditEvent = { actor, action: 'key.sign', keyId: id };
    return this.audit.attempt(event, async () => {
      const signed = await this.sign(actor.tenantId, signKeys, id, request);
      await this.work.run((change) => change.audit(event));
      return signed;
    });
  }

  /** Signs with the key the alias points at now: rotations move the alias, so its callers never change. */
  async signTokenByAlias(actor: TenantActor, signKeys: SignGrant, alias: string, request: SignTokenDto): Promise<SignedToken> {
    validAlias(alias);
    // Remembered like the keys, until the tenant's keys change (a rotation moving the alias is such a change).
    const id = await this.cache.getOrLoad(
      actor.tenantId,
      `alias:${alias}`,
      async () => (await this.keys.getByAlias(actor.tenantId, alias))?.id ?? null,
    );
    if (!id) throw new KeyNotFoundError();
    return this.signToken(actor, signKeys, id, request);
  }

  /** `signKeys`: the key ids and aliases the caller's API key may sign with (null: any). */
  private async sign(tenantId: string, signKeys: SignGrant, id: string, request: SignTokenDto): Promise<SignedToken> {
    // The row and its opened key stay in memory until the tenant's keys change (TenantCacheService).
    const cached = await this.cache.getOrLoad(tenantId, `sign:${id}`, async () => {
      const row = await this.keys.getById(tenantId, id);
      return row && { key: row, signingKey: await openSigningKey(this.sealer, row), headers: new Map<string, ProtectedHeader>() };
    });
    if (!cached) throw new KeyNotFoundError();
    const { key, signingKey, headers } = cached;
    const { certificateExpiresAt } = key;
    assertMaySignWith(signKeys, key);
    const requestedHeader = callerHeader(request.header);
    const status = effectiveStatus(key);
    if (status === 'next') throw new KeyNotActiveError(`Key is next: it signs from ${key.activatesAt?.toISOString() ?? 'its activation'}`);
    if (status === 'pending_deletion') throw new KeyNotActiveError('Key is pending deletion and does not sign');
    if (status !== 'active') throw new KeyNotActiveError(`Key is ${status} and no longer signs`);
    if (!signingKey && key.custody !== 'hsm') throw new KeyNotActiveError('Key has no private key and cannot sign');
    if (certificateExpiresAt && certificateExpiresAt.getTime() < Date.now()) throw new CertificateExpiredError(certificateExpiresAt);

    const payload = { ...request.payload };
    // No token lives forever by accident: a default lifetime unless the payload has its own exp or null asks for none.
    const lifetime = request.expiresIn === undefined && payload.exp === undefined ? this.config.defaultTokenLifetimeSeconds : request.expiresIn;
    const now = Math.floor(Date.now() / 1000);
    const tokenLifetime = lifetime === undefined ? (typeof payload.exp === 'number' ? payload.exp - now : null) : lifetime;
    assertOutlivedByKey(key, tokenLifetime);
    if (key.signingPolicy) applySigningPolicy(key.signingPolicy, payload, tokenLifetime);
    if (payload.iss === undefined && key.issuer) payload.iss = key.issuer;
    const claims = { ...payload, iat: now, ...(lifetime ? { exp: now + lifetime } : {}) };
    const header = headerFor(key, headers, requestedHeader);
    if (key.custody === 'hsm') return { token: await this.custody.signCompact(key, header.header, claims) };
    return { token: await signJwt(signingKey!, header, claims) };
  }

  async verifyToken(tenantId: string, token: string): Promise<VerifiedToken> {
    let kid: string | undefined;
    try {
      kid = decodeProtectedHeader(token).kid;
    } catch {
      throw new TokenRejectedError('malformed token');
    }
    if (!kid) throw new TokenRejectedError('no kid in the header');
    const candidates = await this.keys.findByKid(tenantId, kid);
    if (candidates.length === 0) throw new TokenRejectedError('unknown kid');
    const key = candidates.find((candidate) => !['retired', 'pending_deletion'].includes(effectiveStatus(candidate)));
    if (!key)
      throw new TokenRejectedError(candidates.some((candidate) => candidate.status === 'pending_deletion') ? 'key pending deletion' : 'key retired');
    // Outside the try: a key that does not open (or an HSM away) is the service's failure, not the token's.
    const verificationKey = await this.verificationKey(key);
    try {
      const { payload, protectedHeader } = await jwtVerify(token, verificationKey, {
        algorithms: [key.algorithm],
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
      });
      return { valid: true, header: protectedHeader, payload, keyId: key.id };
    } catch (error) {
      throw new TokenRejectedError(reasonFor(error));
    }
  }

  private async verificationKey(key: TenantKeyEntity) {
    assertRuntimeSupports(key.algorithm, 'token');
    return key.publicKeyPem ? storedPublicKey(key.publicKeyPem) : (await openSigningKey(this.sealer, key))!;
  }
}

/**
 * A key with a rotation policy stays in the JWKS `retireAfterSeconds` after it stops signing: a token must not live
 * longer, or verifiers would refuse it before it expires. `lifetime` null: a token without exp.
 */
function assertOutlivedByKey(key: TenantKeyEntity, lifetime: number | null): void {
  const bound = key.rotationPolicy?.retireAfterSeconds;
  if (bound === undefined || (lifetime !== null && lifetime <= bound)) return;
  throw new ValidationFailedError([
    { field: 'expiresIn', message: `expiresIn must be at most ${bound} seconds (the key's rotationPolicy.retireAfterSeconds)` },
  ]);
}

/** The encoded headers a key keeps, one per typ and cty asked for; past this, a header is encoded for its request only. */
const HEADERS_KEPT_PER_KEY = 8;

/** The protected header of a token signed with `key`: typ JWT unless asked otherwise, then the caller's typ and cty, alg, kid. */
function headerFor(key: TenantKeyEntity, kept: Map<string, ProtectedHeader>, requested: Record<string, string>): ProtectedHeader {
  const name = `${requested.typ ?? ''}\u0000${requested.cty ?? ''}`;
  let header = kept.get(name);
  if (header) return header;
  header = protectedHeader({ typ: 'JWT', ...requested, alg: key.algorithm, kid: key.kid });
  if (kept.size < HEADERS_KEPT_PER_KEY) kept.set(name, header);
  return header;
}

function reasonFor(error: unknown): string {
  if (error instanceof joseErrors.JWTExpired) return 'expired';
  if (error instanceof joseErrors.JWTClaimValidationFailed) return `claim ${error.claim} invalid (${error.reason})`;
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return 'bad signature';
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return 'algorithm does not match the key';
  return 'malformed token';
}
