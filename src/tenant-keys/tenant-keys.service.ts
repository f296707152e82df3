import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { isUUID } from 'class-validator';
import type { EntityManager } from 'typeorm';
import { AuditTrail, type AuditEvent, type TenantActor } from '../audit/audit-trail';
import { ValidationFailedError } from '../common/domain-error';
import { decodeCursor, encodeCursor, pageOf } from '../common/paging';
import type { Page } from '../common/response-envelope';
import { APP_CONFIG, type RuntimeConfig } from '../config/config';
import { algorithmSpec, DEFAULT_CERTIFICATE_DAYS, signingKeySpec, type SigningAlgorithm, type SigningKeySpec } from '../crypto/algorithms';
import { parseImportedKey } from '../crypto/key-import';
import { isUniqueViolation, violatedUniqueIndex } from '../database/database-errors';
import { announceTenantChange } from '../database/tenant-changes';
import { Transactions } from '../database/transactions';
import { MetricsService } from '../metrics/metrics.service';
import { TenantCacheService } from '../tenants/tenant-cache.service';
import type { CertificateOptionsDto } from './dto/certificate-options.dto';
import type { GenerateKeyDto } from './dto/generate-key.dto';
import type { ImportKeyDto } from './dto/import-key.dto';
import { DEFAULT_GRACE_PERIOD_SECONDS, type RotateKeyDto } from './dto/key-usage.dto';
import { toTenantKeyView, type TenantKeyView } from './dto/tenant-key.view';
import { effectiveStatus } from './entities/tenant-key.entity';
import { KeyIdTakenError, KeyMaterialExistsError, KeyNotActiveError, KeyNotFoundError } from './key-errors';
import { generateKeyMaterial, sealKeyMaterial, type CertificateSubject, type KeyMaterial } from './material/key-material';
import { RsaKeyPool } from './material/rsa-key-pool';
import { TenantKeysRepository, UNIQUE_KID_INDEX, type NewTenantKey } from './tenant-keys.repository';

@Injectable()
export class TenantKeysService {
  constructor(
    private readonly keys: TenantKeysRepository,
    private readonly transactions: Transactions,
    private readonly cache: TenantCacheService,
    private readonly rsaPool: RsaKeyPool,
    private readonly audit: AuditTrail,
    private readonly metrics: MetricsService,
    @Inject(APP_CONFIG) private readonly config: RuntimeConfig,
  ) {}

  async listKeys(tenantId: string): Promise<TenantKeyView[]> {
    return (await this.keys.listByTenant(tenantId)).map(toTenantKeyView);
  }

  /** One page of keys in creation order and the cursor of the next; `cursor` is opaque to callers. */
  async listKeysPage(tenantId: string, limit: number, cursor?: string): Promise<Page<TenantKeyView>> {
    const after = cursor ? keyPosition(cursor) : undefined;
    const keys = await this.keys.listPage(tenantId, limit + 1, after);
    return pageOf(keys, limit, toTenantKeyView, (last) => encodeCursor(last.id, last.createdAt.toISOString()));
  }

  async getKey(tenantId: string, id: string): Promise<TenantKeyView> {
    const key = await this.keys.getById(tenantId, id);
    if (!key) throw new KeyNotFoundError();
    return toTenantKeyView(key);
  }

  async renameKey(actor: TenantActor, id: string, name: string): Promise<TenantKeyView> {
    const event: AuditEvent = { actor, action: 'key.rename', keyId: id, detail: { name } };
    return this.audit.attempt(event, async () => {
      const renamed = await this.change(actor.tenantId, event, async (manager) => {
        const key = await this.keys.rename(manager, actor.tenantId, id, name);
        if (!key) throw new KeyNotFoundError();
        return key;
      });
      return toTenantKeyView(renamed);
    });
  }

  async deleteKey(actor: TenantActor, id: string): Promise<{ id: string }> {
    const event: AuditEvent = { actor, action: 'key.delete', keyId: id };
    return this.audit.attempt(event, () =>
      this.change(actor.tenantId, event, async (manager) => {
        if (!(await this.keys.delete(manager, actor.tenantId, id))) throw new KeyNotFoundError();
        return { id };
      }),
    );
  }

  /** `pathId` comes from `POST /key/generate/:id`; the body's `uuid` means the same and must agree with it. */
  async generateKey(actor: TenantActor, request: GenerateKeyDto, pathId?: string): Promise<TenantKeyView> {
    const requested = requestedKeyId(request.uuid, pathId);
    const failure: AuditEvent = { actor, action: 'key.generate', keyId: requested, detail: { algorithm: request.algorithm } };
    return this.audit.attempt(failure, async () => {
      assertIdsAgree(request.uuid, pathId);
      const spec = signingKeySpec(request.algorithm, request.length);
      const certificate = certificateSubject(spec.algorithm, request, request.name, request.issuer ?? null);
      const id = await this.unusedKeyId(actor.tenantId, requested);
      const material = await this.makeKeyMaterial(actor.tenantId, id, spec, certificate);
      const key = newKeyRow(actor.tenantId, id, spec, material, { name: request.name, issuer: request.issuer ?? null });
      return this.insertNewKey({ ...failure, keyId: id }, key, { imported: false });
    });
  }

  /** A key made elsewhere; a public-only key verifies but cannot sign. */
  async importKey(actor: TenantActor, request: ImportKeyDto, pathId?: string): Promise<TenantKeyView> {
    const requested = requestedKeyId(request.uuid, pathId);
    const failure: AuditEvent = { actor, action: 'key.import', keyId: requested };
    return this.audit.attempt(failure, async () => {
      assertIdsAgree(request.uuid, pathId);
      const imported = parseImportedKey(request);
      const id = await this.unusedKeyId(actor.tenantId, requested);
      const material = await sealKeyMaterial(this.config.sealingKey, actor.tenantId, id, imported.spec.algorithm, imported);
      // Checked first for a clear answer; the unique index on (tenant, kid) still decides races.
      const holder = material.publicJwk && (await this.keys.findUnretiredByKid(actor.tenantId, material.kid));
      if (holder) throw new KeyMaterialExistsError(holder.id);
      const key = newKeyRow(actor.tenantId, id, imported.spec, material, { name: request.name, issuer: request.issuer ?? null });
      const detail = { algorithm: imported.spec.algorithm, hasPrivateKey: imported.privateKey !== undefined };
      return this.insertNewKey({ ...failure, keyId: id, detail }, key, { imported: true });
    });
  }

  /**
   * A new key like the old one (algorithm, length, issuer, name); the old one keeps verifying,
   * and stays in the JWKS, until `retireAt`, but no longer signs.
   */
  async rotateKey(actor: TenantActor, id: string, request: RotateKeyDto): Promise<TenantKeyView> {
    const successorId = randomUUID();
    const event: AuditEvent = { actor, action: 'key.rotate', keyId: id, detail: { successorId } };
    return this.audit.attempt(event, async () => {
      const old = await this.keys.getById(actor.tenantId, id);
      if (!old) throw new KeyNotFoundError();
      if (effectiveStatus(old) !== 'active') throw new KeyNotActiveError('Only an active key can be rotated');
      const spec: SigningKeySpec = { algorithm: old.algorithm, type: old.type, curve: old.curve, length: old.length };
      // The successor keeps a certificate if the old key had one, unless the request says otherwise.
      const certificate = certificateSubject(
        spec.algorithm,
        { ...request, certificate: request.certificate ?? old.certificatePem !== null },
        old.name,
        old.issuer,
      );
      const material = await this.makeKeyMaterial(actor.tenantId, successorId, spec, certificate);
      const successor = newKeyRow(actor.tenantId, successorId, spec, material, { name: old.name, issuer: old.issuer, rotatedFrom: id });
      const retireAt = new Date(Date.now() + (request.gracePeriodSeconds ?? DEFAULT_GRACE_PERIOD_SECONDS) * 1000);
      const rotated = await this.change(actor.tenantId, event, async (manager) => {
        const inserted = await this.keys.rotate(manager, actor.tenantId, id, retireAt, successor);
        // Someone rotated or deleted it between our read and our write.
        if (!inserted) throw new KeyNotActiveError('Only an active key can be rotated');
        return inserted;
      });
      return toTenantKeyView(rotated);
    });
  }

  /**
   * A change to the tenant's keys, in one transaction: the repository's writes, the audit row and the change's
   * announcement to every instance; then this instance forgets the tenant's cached keys at once.
   */
  private async change<T>(tenantId: string, event: AuditEvent, write: (manager: EntityManager) => Promise<T>): Promise<T> {
    const result = await this.transactions.run(async (manager) => {
      const written = await write(manager);
      await this.audit.record(manager, event);
      await announceTenantChange(manager, tenantId);
      return written;
    });
    this.cache.forget(tenantId);
    return result;
  }

  private makeKeyMaterial(tenantId: string, id: string, spec: SigningKeySpec, certificate: CertificateSubject | undefined): Promise<KeyMaterial> {
    return this.metrics.timeKeyGeneration(spec.algorithm, () =>
      generateKeyMaterial(this.config.sealingKey, tenantId, id, spec, certificate, this.rsaPool.take(spec)),
    );
  }

  /** The id for a new key: the one asked for, or a fresh one; 409 if taken. */
  private async unusedKeyId(tenantId: string, requested: string | null): Promise<string> {
    const id = requested ?? randomUUID();
    // Checked first so that a taken id does not cost a key generation; the primary key still decides races.
    if (await this.keys.exists(tenantId, id)) throw new KeyIdTakenError();
    return id;
  }

  private async insertNewKey(event: AuditEvent, key: NewTenantKey, { imported }: { imported: boolean }): Promise<TenantKeyView> {
    try {
      const inserted = await this.change(key.tenantId, event, async (manager) => {
        // A generated key's kid is new; an imported one may be held by a key whose retirement is not yet stored.
        if (imported) await this.keys.settleRetirements(manager, key.tenantId, key.kid);
        return this.keys.insert(manager, key);
      });
      return toTenantKeyView(inserted);
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      if (violatedUniqueIndex(error) !== UNIQUE_KID_INDEX) throw new KeyIdTakenError();
      // The holder may be gone again by now: then the import may simply be tried again.
      const holder = await this.keys.findUnretiredByKid(key.tenantId, key.kid);
      throw new KeyMaterialExistsError(holder?.id);
    }
  }
}

/** The row of a new active key: its spec, its material, and where it comes from. */
function newKeyRow(
  tenantId: string,
  id: string,
  spec: SigningKeySpec,
  material: KeyMaterial,
  { name, issuer, rotatedFrom = null }: { name: string; issuer: string | null; rotatedFrom?: string | null },
): NewTenantKey {
  return { ...spec, ...material, tenantId, id, name, issuer, status: 'active', retireAt: null, rotatedFrom, rotatedTo: null };
}

/** The id a generate or import asks for (path or body), if any, named in the audit row even when refused. */
function requestedKeyId(bodyUuid: string | undefined, pathId: string | undefined): string | null {
  return pathId ?? bodyUuid?.toLowerCase() ?? null;
}

/** `POST /key/generate/:id` may repeat the id in the body's `uuid`, but not contradict it. */
function assertIdsAgree(bodyUuid: string | undefined, pathId: string | undefined): void {
  if (pathId && bodyUuid && pathId !== bodyUuid.toLowerCase()) {
    throw new ValidationFailedError([{ field: 'uuid', message: 'uuid must match the id in the path' }]);
  }
}

/** The position a keys cursor names: the last key's id and creation time. */
function keyPosition(cursor: string): { id: string; createdAt: Date } {
  const [id, at] = decodeCursor(cursor, ([id, at]) => id !== undefined && isUUID(id, 'all') && !Number.isNaN(new Date(at).getTime()));
  return { id, createdAt: new Date(at) };
}

/** The certificate a request asks for, if any; 400 for an algorithm that cannot have one. */
function certificateSubject(
  algorithm: SigningAlgorithm,
  options: CertificateOptionsDto,
  subject: string,
  issuer: string | null,
): CertificateSubject | undefined {
  if (!options.certificate) return undefined;
  if (!algorithmSpec(algorithm).webCrypto) {
    throw new ValidationFailedError([{ field: 'certificate', message: 'certificate is available for RSA, EC and EdDSA keys only' }]);
  }
  return { subject, issuer, validityDays: options.certificateValidityDays ?? DEFAULT_CERTIFICATE_DAYS };
}
