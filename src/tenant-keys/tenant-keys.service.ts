import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { isUUID } from 'class-validator';
import { ValidationFailedError } from '../common/domain-error';
import { Page } from '../common/response-envelope';
import { APP_CONFIG, type RuntimeConfig } from '../config/config';
import { CERTIFIABLE_ALGORITHMS, DEFAULT_CERTIFICATE_DAYS } from '../crypto/certificates';
import { KeyImportError, parseImportedKey } from '../crypto/key-import';
import { signingKeySpec, type SigningAlgorithm, type SigningKeySpec } from '../crypto/signing-keys';
import { isUniqueViolation, violatedUniqueIndex } from '../database/database-errors';
import type { CertificateOptionsDto } from './dto/certificate-options.dto';
import type { GenerateKeyDto } from './dto/generate-key.dto';
import type { ImportKeyDto } from './dto/import-key.dto';
import type { RotateKeyDto } from './dto/key-usage.dto';
import { toTenantKeyView, type TenantKeyView } from './dto/tenant-key.view';
import { effectiveStatus } from './entities/tenant-key.entity';
import { KeyIdTakenError, KeyMaterialExistsError, KeyNotActiveError, KeyNotFoundError } from './key-errors';
import { TenantCacheService } from '../tenants/tenant-cache.service';
import { generateKeyMaterial, sealKeyMaterial, type CertificateSubject, type KeyMaterial } from './material/key-material';
import { RsaKeyPool } from './material/rsa-key-pool';
import { TenantKeysRepository, UNIQUE_KID_INDEX } from './tenant-keys.repository';
import { MetricsService } from '../metrics/metrics.service';
import { AuditTrail, type AuditEvent, type TenantActor } from '../audit/audit-trail';

export const DEFAULT_GRACE_PERIOD_SECONDS = 24 * 60 * 60;

@Injectable()
export class TenantKeysService {
  constructor(
    private readonly keys: TenantKeysRepository,
    private readonly cache: TenantCacheService,
    private readonly rsaPool: RsaKeyPool,
    private readonly audit: AuditTrail,
    private readonly metrics: MetricsService,
    @Inject(APP_CONFIG) private readonly config: RuntimeConfig,
  ) {}

  async listKeys(tenantId: string): Promise<TenantKeyView[]> {
    return (await this.keys.listByTenant(tenantId)).map(toTenantKeyView);
  }

  /** One page of keys and the cursor of the next; `cursor` is opaque to callers. */
  async listKeysPage(tenantId: string, limit: number, cursor?: string): Promise<Page<TenantKeyView>> {
    const after = cursor ? decodeCursor(cursor) : undefined;
    // One more than asked tells whether there is a next page without a count query.
    const keys = await this.keys.listPage(tenantId, limit + 1, after);
    const items = keys.slice(0, limit);
    const last = items.at(-1);
    const nextCursor = keys.length > limit && last ? encodeCursor(last.id, last.createdAt) : null;
    return new Page(items.map(toTenantKeyView), { limit, nextCursor });
  }

  async getKey(tenantId: string, id: string): Promise<TenantKeyView> {
    const key = await this.keys.getById(tenantId, id);
    if (!key) throw new KeyNotFoundError();
    return toTenantKeyView(key);
  }

  async renameKey(actor: TenantActor, id: string, name: string): Promise<TenantKeyView> {
    const event: AuditEvent = { actor, action: 'key.rename', keyId: id, detail: { name } };
    return this.audit.attempt(event, async () => {
      const key = await this.audit.commit(event, async (manager) => {
        const renamed = await this.keys.rename(manager, actor.tenantId, id, name);
        if (!renamed) throw new KeyNotFoundError();
        return renamed;
      });
      await this.cache.tenantChanged(actor.tenantId);
      return toTenantKeyView(key);
    });
  }

  async deleteKey(actor: TenantActor, id: string): Promise<{ id: string }> {
    const event: AuditEvent = { actor, action: 'key.delete', keyId: id };
    return this.audit.attempt(event, async () => {
      await this.audit.commit(event, async (manager) => {
        if (!(await this.keys.delete(manager, actor.tenantId, id))) throw new KeyNotFoundError();
      });
      await this.cache.tenantChanged(actor.tenantId);
      return { id };
    });
  }

  /** `pathId` comes from `POST /key/generate/:id`; the body's `uuid` means the same and must agree with it. */
  async generateKey(actor: TenantActor, request: GenerateKeyDto, pathId?: string): Promise<TenantKeyView> {
    const event: AuditEvent = { actor, action: 'key.generate', keyId: requestedKeyId(request.uuid, pathId), detail: { algorithm: request.algorithm } };
    return this.audit.attempt(event, async () => {
      const spec = signingKeySpec(request.algorithm, request.length);
      const certificate = certificateSubject(spec.algorithm, request, request.name, request.issuer ?? null);
      const id = (event.keyId = await this.newKeyId(actor.tenantId, request.uuid, pathId));
      const material = await this.metrics.timeKeyGeneration(spec.algorithm, () =>
        generateKeyMaterial(this.config.sealingKey, actor.tenantId, id, spec, certificate, this.rsaPool.take(spec)),
      );
      return this.insertNewKey(event, actor.tenantId, id, spec, material, request, { imported: false });
    });
  }

  /** A key made elsewhere; a public-only key verifies but cannot sign. */
  async importKey(actor: TenantActor, request: ImportKeyDto, pathId?: string): Promise<TenantKeyView> {
    const event: AuditEvent = { actor, action: 'key.import', keyId: requestedKeyId(request.uuid, pathId) };
    return this.audit.attempt(event, async () => {
      let imported;
      try {
        imported = parseImportedKey(request);
      } catch (error) {
        if (error instanceof KeyImportError) throw new ValidationFailedError([{ field: error.field, message: error.message }]);
        throw error;
      }
      event.detail = { algorithm: imported.spec.algorithm, hasPrivateKey: imported.privateKey !== undefined };
      const id = (event.keyId = await this.newKeyId(actor.tenantId, request.uuid, pathId));
      const material = await sealKeyMaterial(this.config.sealingKey, actor.tenantId, id, imported.spec.algorithm, imported);
      // Checked first for a clear answer; the unique index on (tenant, kid) still decides races.
      const holder = material.publicJwk && (await this.keys.findUnretiredByKid(actor.tenantId, material.kid));
      if (holder) throw new KeyMaterialExistsError(holder.id);
      return this.insertNewKey(event, actor.tenantId, id, imported.spec, material, request, { imported: true });
    });
  }

  /** The id for a new key: from the path, the body's `uuid` (which must agree), or a fresh one; 409 if taken. */
  private async newKeyId(tenantId: string, bodyUuid: string | undefined, pathId: string | undefined): Promise<string> {
    const bodyId = bodyUuid?.toLowerCase();
    if (pathId && bodyId && pathId !== bodyId) {
      throw new ValidationFailedError([{ field: 'uuid', message: 'uuid must match the id in the path' }]);
    }
    const id = pathId ?? bodyId ?? randomUUID();
    // Checked first so that a taken id does not cost a key generation; the primary key still decides races.
    if (await this.keys.exists(tenantId, id)) throw new KeyIdTakenError();
    return id;
  }

  /**
   * A new key like the old one (algorithm, length, issuer, name); the old one keeps verifying,
   * and stays in the JWKS, until `retireAt`, but no longer signs.
   */
  async rotateKey(actor: TenantActor, id: string, request: RotateKeyDto): Promise<TenantKeyView> {
    const event: AuditEvent = { actor, action: 'key.rotate', keyId: id };
    return this.audit.attempt(event, () => this.rotate(actor.tenantId, id, request, event));
  }

  private async rotate(tenantId: string, id: string, request: RotateKeyDto, event: AuditEvent): Promise<TenantKeyView> {
    const old = await this.keys.getById(tenantId, id);
    if (!old) throw new KeyNotFoundError();
    if (effectiveStatus(old) !== 'active') throw new KeyNotActiveError('Only an active key can be rotated');
    const spec: SigningKeySpec = { algorithm: old.algorithm as SigningAlgorithm, type: old.type as SigningKeySpec['type'], curve: old.curve, length: old.length };
    // The successor keeps a certificate if the old key had one, unless the request says otherwise.
    const wantsCertificate = { ...request, certificate: request.certificate ?? old.certificatePem !== null };
    const certificate = certificateSubject(spec.algorithm, wantsCertificate, old.name, old.issuer);
    const newId = randomUUID();
    event.detail = { successorId: newId };
    const material = await this.metrics.timeKeyGeneration(spec.algorithm, () =>
      generateKeyMaterial(this.config.sealingKey, tenantId, newId, spec, certificate, this.rsaPool.take(spec)),
    );
    const retireAt = new Date(Date.now() + (request.gracePeriodSeconds ?? DEFAULT_GRACE_PERIOD_SECONDS) * 1000);
    const rotated = await this.audit.commit(event, async (manager) => {
      const successor = await this.keys.rotate(manager, tenantId, id, retireAt, {
        ...spec,
        ...material,
        tenantId,
        id: newId,
        name: old.name,
        issuer: old.issuer,
        status: 'active',
        retireAt: null,
        rotatedFrom: id,
        rotatedTo: null,
      });
      // Someone rotated or deleted it between our read and our write.
      if (!successor) throw new KeyNotActiveError('Only an active key can be rotated');
      return successor;
    });
    await this.cache.tenantChanged(tenantId);
    return toTenantKeyView(rotated);
  }

  private async insertNewKey(
    event: AuditEvent,
    tenantId: string,
    id: string,
    spec: SigningKeySpec,
    material: KeyMaterial,
    { name, issuer }: { name: string; issuer?: string },
    { imported }: { imported: boolean },
  ): Promise<TenantKeyView> {
    try {
      const key = await this.audit.commit(event, async (manager) => {
        // A generated key's kid is new; an imported one may be held by a key whose retirement is not yet stored.
        if (imported) await this.keys.settleRetirements(manager, tenantId, material.kid);
        return this.keys.insert(manager, {
          ...spec,
          ...material,
          tenantId,
          id,
          name,
          issuer: issuer ?? null,
          status: 'active',
          retireAt: null,
          rotatedFrom: null,
          rotatedTo: null,
        });
      });
      await this.cache.tenantChanged(tenantId);
      return toTenantKeyView(key);
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      if (violatedUniqueIndex(error) !== UNIQUE_KID_INDEX) throw new KeyIdTakenError();
      // The holder may be gone again by now: then the import may simply be tried again.
      const holder = await this.keys.findUnretiredByKid(tenantId, material.kid);
      throw new KeyMaterialExistsError(holder?.id);
    }
  }
}

/** The id a generate or import asks for, if any, for the audit row of an attempt that fails before it has one. */
function requestedKeyId(bodyUuid: string | undefined, pathId: string | undefined): string | null {
  return pathId ?? bodyUuid?.toLowerCase() ?? null;
}

function encodeCursor(id: string, createdAt: Date): string {
  return Buffer.from(`${id}|${createdAt.toISOString()}`).toString('base64url');
}

function decodeCursor(cursor: string): { id: string; createdAt: Date } {
  const [id, at] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  const createdAt = new Date(at);
  if (!id || !isUUID(id, 'all') || Number.isNaN(createdAt.getTime())) {
    throw new ValidationFailedError([{ field: 'cursor', message: 'cursor must be a cursor from a previous page' }]);
  }
  return { id, createdAt };
}

/** The certificate a request asks for, if any; 400 for an algorithm that cannot have one. */
function certificateSubject(
  algorithm: SigningAlgorithm,
  options: CertificateOptionsDto,
  subject: string,
  issuer: string | null,
): CertificateSubject | undefined {
  if (!options.certificate) return undefined;
  if (!CERTIFIABLE_ALGORITHMS.includes(algorithm)) {
    throw new ValidationFailedError([{ field: 'certificate', message: 'certificate is available for RSA, EC and EdDSA keys only' }]);
  }
  return { subject, issuer, validityDays: options.certificateValidityDays ?? DEFAULT_CERTIFICATE_DAYS };
}
