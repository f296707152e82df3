import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AuditTrail, type AuditEvent } from '../audit/audit-trail';
import { APP_CONFIG, type RuntimeConfig } from '../config/config';
import { algorithmSpec, DEFAULT_CERTIFICATE_DAYS, type SigningKeySpec } from '../crypto/algorithms';
import { generateSigningKey, type RsaGenerationFor } from '../crypto/signing-keys';
import { announceTenantChange } from '../database/tenant-changes';
import { Transactions } from '../database/transactions';
import { MetricsService } from '../metrics/metrics.service';
import { TenantCacheService } from '../tenants/tenant-cache.service';
import { WebhookOutbox } from '../webhooks/webhook-outbox';
import type { KeyCustodyKind, KeyStatus, RotationPolicy, TenantKeyEntity } from './entities/tenant-key.entity';
import { KeyCustody } from './material/key-custody';
import { newKeyMaterial, type CertificateSubject, type KeyMaterial } from './material/key-material';
import { RsaKeyPool } from './material/rsa-key-pool';
import type { NewTenantKey } from './tenant-keys.repository';
import type { SigningPolicy } from './signing/signing-policy';
import { KeySealer } from '../hsm/key-sealer';

/** Where a new key stands in its lifecycle, beyond its material. */
export interface NewKeyPlace {
  name: string;
  issuer: string | null;
  alias?: string | null;
  rotationPolicy?: RotationPolicy | null;
  signingPolicy?: SigningPolicy | null;
  status?: KeyStatus;
  rotatedFrom?: string | null;
  activatesAt?: Date | null;
  nextRotationAt?: Date | null;
}

/**
 * What every change to a tenant's keys shares, whoever makes it (a caller, the lifecycle scheduler): the
 * transaction with its audit row and announcement, new key material, and the row of a new key.
 */
@Injectable()
export class KeyWrites {
  constructor(
    private readonly transactions: Transactions,
    private readonly audit: AuditTrail,
    private readonly outbox: WebhookOutbox,
    private readonly cache: TenantCacheService,
    private readonly rsaPool: RsaKeyPool,
    private readonly metrics: MetricsService,
    private readonly custody: KeyCustody,
    private readonly sealer: KeySealer,
    @Inject(APP_CONFIG) private readonly config: RuntimeConfig,
  ) {}

  /**
   * A change to the tenant's keys, in one transaction: the repository's writes, the audit row and the change's
   * announcement to every instance; then this instance forgets the tenant's cached keys at once.
   */
  async commit<T>(tenantId: string, event: AuditEvent, write: (manager: EntityManager) => Promise<T>): Promise<T> {
    const done = await this.commitFound(async (manager) => ({ tenantId, event, result: await write(manager) }));
    return done!.result;
  }

  /**
   * `commit` for a change that finds its key inside the transaction (the scheduler claiming a due step): `write`
   * answers the tenant, the event and the result, or undefined when there was nothing to change.
   */
  async commitFound<T>(
    write: (manager: EntityManager) => Promise<{ tenantId: string; event: AuditEvent; result: T } | undefined>,
  ): Promise<{ result: T } | undefined> {
    let transaction: EntityManager | undefined;
    const done = await this.transactions.run(async (manager) => {
      transaction = manager;
      const written = await write(manager);
      if (!written) return undefined;
      await this.audit.record(manager, written.event);
      const key = isKeyRow(written.result) ? written.result : undefined;
      await this.outbox.enqueueChange(manager, written.tenantId, written.event, key);
      await announceTenantChange(manager, written.tenantId);
      return written;
    });
    if (done) this.cache.forget(done.tenantId);
    await this.custody.committed(transaction!);
    return done;
  }

  /**
   * Fresh key material of this spec, sealed to its row or made in the HSM, timed into the metrics. An RSA pair comes
   * from the pool, else from the generator in the turn of whom it is for (the tenant, unless said otherwise).
   */
  generate(
    tenantId: string,
    id: string,
    spec: SigningKeySpec,
    certificate: CertificateSubject | undefined,
    custody: KeyCustodyKind = 'software',
    generationFor: RsaGenerationFor = { tenantId },
  ): Promise<KeyMaterial> {
    return this.metrics.timeKeyGeneration(spec.algorithm, async () => {
      if (custody === 'hsm') return this.custody.generate(tenantId, id, spec);
      const pair = this.rsaPool.take(spec) ?? (await generateSigningKey(spec, generationFor));
      return newKeyMaterial(this.sealer, tenantId, id, spec.algorithm, pair, certificate);
    });
  }

  /**
   * A scheduled successor's material: like the old key's, with a fresh self-signed certificate if the old key had one;
   * an RSA pair made in the scheduler's own turn, so that no tenant's flood of generations holds rotations back.
   */
  successorMaterial(old: TenantKeyEntity, successorId: string): Promise<KeyMaterial> {
    const certificate =
      old.certificatePem !== null && algorithmSpec(old.algorithm).webCrypto
        ? { subject: old.name, issuer: old.issuer, validityDays: DEFAULT_CERTIFICATE_DAYS }
        : undefined;
    return this.generate(old.tenantId, successorId, specOf(old), certificate, old.custody, 'scheduler');
  }
}

/** The row of a new key: its spec, its material, and its place in the lifecycle (active, no alias, no policy by default). */
export function newKeyRow(tenantId: string, id: string, spec: SigningKeySpec, material: KeyMaterial, place: NewKeyPlace): NewTenantKey {
  // The spec's four fields by name: a stored key passed as the spec must not lend its other columns.
  return {
    algorithm: spec.algorithm,
    type: spec.type,
    curve: spec.curve,
    length: spec.length,
    ...material,
    tenantId,
    id,
    name: place.name,
    issuer: place.issuer,
    status: place.status ?? 'active',
    retireAt: null,
    rotatedFrom: place.rotatedFrom ?? null,
    rotatedTo: null,
    alias: place.alias ?? null,
    rotationPolicy: place.rotationPolicy ?? null,
    signingPolicy: place.signingPolicy ?? null,
    nextRotationAt: place.nextRotationAt ?? null,
    activatesAt: place.activatesAt ?? null,
    publishingUntil: null,
    deleteAt: null,
    restoreStatus: null,
    restoreAlias: null,
    certificateWarnedDays: null,
  };
}

/** Whether a change's result is the key row it left (for its events' kid, alias and status). */
function isKeyRow(result: unknown): result is TenantKeyEntity {
  return typeof result === 'object' && result !== null && 'kid' in result && 'id' in result;
}

/** What a stored key is: its algorithm, type, curve and length. */
export function specOf(key: TenantKeyEntity): SigningKeySpec {
  return { algorithm: key.algorithm, type: key.type, curve: key.curve, length: key.length };
}

/** `seconds` from `from`. */
export function secondsAfter(from: Date, seconds: number): Date {
  return new Date(from.getTime() + seconds * 1000);
}
