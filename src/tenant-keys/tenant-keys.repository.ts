import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { type EntityManager, IsNull, type Repository, type SelectQueryBuilder } from 'typeorm';
import { lockCount } from '../database/count-lock';
import { entityColumns, preparedRows, type PreparedStatement } from '../database/prepared-statements';
import { effectiveStatus, TenantKeyEntity } from './entities/tenant-key.entity';

/** The partial unique index that gives a kid to one unretired key of a tenant. */
export const UNIQUE_KID_INDEX = 'tenant_keys_tenant_kid_unretired';
/** The partial unique index that holds each key material (its thumbprint) once among a tenant's unretired keys. */
export const UNIQUE_THUMBPRINT_INDEX = 'tenant_keys_tenant_thumbprint_unretired';
/** The partial unique index that gives an alias to one key of a tenant. */
export const UNIQUE_ALIAS_INDEX = 'tenant_keys_tenant_alias';

export type NewTenantKey = Omit<TenantKeyEntity, 'createdAt' | 'updatedAt'>;
/** What a change may set on a stored key: its name and lifecycle, never its material. */
export type KeyChanges = Partial<
  Pick<
    TenantKeyEntity,
    | 'name'
    | 'alias'
    | 'rotationPolicy'
    | 'nextRotationAt'
    | 'status'
    | 'retireAt'
    | 'activatesAt'
    | 'deleteAt'
    | 'restoreStatus'
    | 'restoreAlias'
    | 'rotatedTo'
    | 'certificatePem'
    | 'certificateExpiresAt'
    | 'certificateWarnedDays'
    | 'signingPolicy'
  >
>;

/** A key past its retirement, stored as retired or not yet (see effectiveStatus). */
const RETIRED = "(key.status = 'retired' OR (key.status = 'retiring' AND key.retire_at <= now()))";

/** A key whose successor is due for publication: active, not rotated yet, `prePublishSeconds` before its rotation. */
const PUBLICATION_DUE = `key.status = 'active' AND key.rotated_to IS NULL AND key.rotation_policy IS NOT NULL AND key.next_rotation_at IS NOT NULL
  AND key.next_rotation_at - make_interval(secs => (key.rotation_policy->>'prePublishSeconds')::int) <= now()`;
/** How many days before its leaf certificate expires a key announces it (`key.certificate_expiring`), once each. */
export const CERTIFICATE_WARNING_DAYS = [30, 7] as const;
/** Whole days of 86,400 s, on the database's clock, in the claim and in the threshold alike. */
const certificateWarningDue = (days: string) => `key.certificate_expires_at - make_interval(secs => ${days} * 86400) <= now()`;
const CERTIFICATE_WARNING_THRESHOLDS = `unnest(ARRAY[${CERTIFICATE_WARNING_DAYS.join(',')}]) AS threshold(days)`;

/**
 * The steps keys take on their own (KeyLifecycle): which keys each is due for, and which of them it takes first.
 * Each has a partial index of its own (see the migrations), which keeps its claim quick among a tenant's many keys.
 */
const DUE_STEPS = {
  publish: { where: `${PUBLICATION_DUE} AND (key.publishing_until IS NULL OR key.publishing_until <= now())`, oldestBy: 'key.created_at' },
  activate: { where: `key.status = 'next' AND key.activates_at <= now()`, oldestBy: 'key.created_at' },
  retire: { where: `key.status = 'retiring' AND key.retire_at <= now()`, oldestBy: 'key.created_at' },
  delete: { where: `key.status = 'pending_deletion' AND key.delete_at <= now()`, oldestBy: 'key.created_at' },
  /** The oldest retired key of a tenant that keeps more than `keep` of them. */
  prune: {
    where: `key.status = 'retired' AND key.tenant_id IN (SELECT tenant_id FROM tenant_keys WHERE status = 'retired' GROUP BY tenant_id HAVING count(*) > :keep)`,
    oldestBy: 'key.retire_at',
  },
  /** An active or next key whose leaf certificate expires within a threshold not yet announced. */
  certificateWarning: {
    where: `key.status IN ('active', 'next') AND key.certificate_expires_at > now() AND EXISTS (
      SELECT 1 FROM ${CERTIFICATE_WARNING_THRESHOLDS} WHERE threshold.days < COALESCE(key.certificate_warned_days, 2147483647) AND ${certificateWarningDue('threshold.days')})`,
    oldestBy: 'key.created_at',
  },
} as const;
export type DueStep = keyof typeof DUE_STEPS;

/**
 * The hot reads (`GET /key`, `GET /key/:id`, the key a signature loads) as prepared statements whose rows read as
 * entities, every column named as its property.
 */
function hotReads(columns: string): Record<'byId' | 'byTenant' | 'firstPage' | 'pageAfter', PreparedStatement> {
  return {
    byId: { name: 'tenant_keys_by_id', text: `SELECT ${columns} FROM tenant_keys WHERE tenant_id = $1 AND id = $2` },
    byTenant: { name: 'tenant_keys_by_tenant', text: `SELECT ${columns} FROM tenant_keys WHERE tenant_id = $1 ORDER BY created_at, id` },
    firstPage: {
      name: 'tenant_keys_first_page',
      text: `SELECT ${columns} FROM tenant_keys WHERE tenant_id = $1 ORDER BY created_at, id LIMIT $2`,
    },
    pageAfter: {
      name: 'tenant_keys_page_after',
      text: `SELECT ${columns} FROM tenant_keys WHERE tenant_id = $1
               AND (created_at, id) > (COALESCE((SELECT k.created_at FROM tenant_keys k WHERE k.tenant_id = $1 AND k.id = $2), $3), $2)
             ORDER BY created_at, id LIMIT $4`,
    },
  };
}

/** One method per query; every one is scoped by tenant id. */
@Injectable()
export class TenantKeysRepository {
  private readonly hotReads: ReturnType<typeof hotReads>;

  constructor(@InjectRepository(TenantKeyEntity) private readonly keys: Repository<TenantKeyEntity>) {
    this.hotReads = hotReads(entityColumns(keys.metadata));
  }

  listByTenant(tenantId: string): Promise<TenantKeyEntity[]> {
    return preparedRows(this.keys.manager.connection, this.hotReads.byTenant, [tenantId]);
  }

  async getById(tenantId: string, id: string): Promise<TenantKeyEntity | undefined> {
    return (await preparedRows<TenantKeyEntity>(this.keys.manager.connection, this.hotReads.byId, [tenantId, id]))[0];
  }

  /**
   * Keyset pagination in creation order. The position is the last key's id; its timestamp comes from the
   * row itself (microseconds), or from the cursor (milliseconds) if that key was deleted meanwhile.
   */
  listPage(tenantId: string, limit: number, after?: { id: string; createdAt: Date }): Promise<TenantKeyEntity[]> {
    const dataSource = this.keys.manager.connection;
    if (!after) return preparedRows(dataSource, this.hotReads.firstPage, [tenantId, limit]);
    return preparedRows(dataSource, this.hotReads.pageAfter, [tenantId, after.id, after.createdAt, limit]);
  }

  async getByAlias(tenantId: string, alias: string): Promise<TenantKeyEntity | undefined> {
    return (await this.keys.findOneBy({ tenantId, alias })) ?? undefined;
  }

  /** Whether a key of the tenant carries this alias, as the transaction sees it. */
  aliasHeld(manager: EntityManager, tenantId: string, alias: string): Promise<boolean> {
    return manager.existsBy(TenantKeyEntity, { tenantId, alias });
  }

  findByKid(tenantId: string, kid: string): Promise<TenantKeyEntity[]> {
    return this.keys.find({ where: { tenantId, kid }, order: { createdAt: 'DESC' } });
  }

  /** The tenant's key with this kid that is not retired: the one key that may have it. */
  async findUnretiredByKid(tenantId: string, kid: string): Promise<TenantKeyEntity | undefined> {
    return (await this.findByKid(tenantId, kid)).find((key) => effectiveStatus(key) !== 'retired');
  }

  /** The tenant's key with this thumbprint that is not retired: the one key that may hold this key material. */
  async findUnretiredByThumbprint(tenantId: string, thumbprint: string): Promise<TenantKeyEntity | undefined> {
    const keys = await this.keys.find({ where: { tenantId, thumbprint }, order: { createdAt: 'DESC' } });
    return keys.find((key) => effectiveStatus(key) !== 'retired');
  }

  /** Keys verifiers should trust: asymmetric, next, active, or retiring and not yet past retireAt. */
  listPublishable(tenantId: string): Promise<TenantKeyEntity[]> {
    return this.publishable()
      .andWhere('key.tenant_id = :tenantId', { tenantId })
      .orderBy('key.created_at', 'ASC')
      .addOrderBy('key.id', 'ASC')
      .getMany();
  }

  /** Asymmetric keys that verifiers should trust: next (published ahead), active, or retiring and not yet past retireAt. */
  private publishable() {
    return this.keys
      .createQueryBuilder('key')
      .where('key.public_jwk IS NOT NULL')
      .andWhere("(key.status IN ('next', 'active') OR (key.status = 'retiring' AND key.retire_at > now()))");
  }

  /**
   * Asymmetric keys of any tenant with this kid and issuer that still verify (next, active, or retiring and not yet
   * past retireAt) and whose private part the tenant holds (sealed in the row, or in the HSM): only such a key proves
   * that its tenant could have minted a `/keys` token. A public-only import (anyone may copy a JWKS) never does.
   */
  findMintingKeys(kid: string, issuer: string): Promise<TenantKeyEntity[]> {
    return this.publishable()
      .andWhere('key.kid = :kid AND key.issuer = :issuer', { kid, issuer })
      .andWhere("(key.private_key_sealed IS NOT NULL OR key.custody = 'hsm')")
      .getMany();
  }

  /** The tenant's keys in use: every status but retired (retired keys are history, kept up to a limit of their own). */
  countInUse(tenantId: string, manager: EntityManager = this.keys.manager): Promise<number> {
    return manager.createQueryBuilder(TenantKeyEntity, 'key').where('key.tenant_id = :tenantId', { tenantId }).andWhere(`NOT ${RETIRED}`).getCount();
  }

  /** `countInUse`, under a lock that the tenant's other key creations (and prunings) wait for until this transaction ends. */
  async countInUseLocked(manager: EntityManager, tenantId: string): Promise<number> {
    await lockCount(manager, 'tenant-keys', tenantId);
    return this.countInUse(tenantId, manager);
  }

  /** The tenant's stored-retired keys, under the same lock as `countInUseLocked`. */
  async countRetiredLocked(manager: EntityManager, tenantId: string): Promise<number> {
    await lockCount(manager, 'tenant-keys', tenantId);
    return manager.countBy(TenantKeyEntity, { tenantId, status: 'retired' });
  }

  /**
   * One key due for the step, locked for this transaction; keys another instance holds are skipped. `keep` is
   * the retired keys a tenant keeps (prune).
   */
  async claimDue(manager: EntityManager, step: DueStep, parameters: { keep?: number } = {}): Promise<TenantKeyEntity | undefined> {
    return (await this.claimDueQuery(manager, step, parameters).getOne()) ?? undefined;
  }

  /** The statement `claimDue` runs (its plan is tested). */
  claimDueQuery(manager: EntityManager, step: DueStep, parameters: { keep?: number } = {}): SelectQueryBuilder<TenantKeyEntity> {
    const { where, oldestBy } = DUE_STEPS[step];
    return manager
      .createQueryBuilder(TenantKeyEntity, 'key')
      .where(where, parameters)
      .orderBy(oldestBy, 'ASC')
      .limit(1)
      .setLock('pessimistic_write')
      .setOnLocked('skip_locked');
  }

  /** The key, locked until the transaction ends, if its successor is still due for publication (else undefined). */
  async lockIfPublicationDue(manager: EntityManager, tenantId: string, id: string): Promise<TenantKeyEntity | undefined> {
    const key = await manager
      .createQueryBuilder(TenantKeyEntity, 'key')
      .where(PUBLICATION_DUE)
      .andWhere('key.tenant_id = :tenantId AND key.id = :id', { tenantId, id })
      .setLock('pessimistic_write')
      .getOne();
    return key ?? undefined;
  }

  /** The nearest of CERTIFICATE_WARNING_DAYS within which the key's leaf certificate expires now. */
  async certificateWarningDays(manager: EntityManager, tenantId: string, id: string): Promise<number> {
    const [{ daysBefore }] = await manager.query<[{ daysBefore: number }]>(
      `SELECT min(threshold.days)::int AS "daysBefore" FROM tenant_keys key, ${CERTIFICATE_WARNING_THRESHOLDS}
       WHERE key.tenant_id = $1 AND key.id = $2 AND ${certificateWarningDue('threshold.days')}`,
      [tenantId, id],
    );
    return daysBefore;
  }

  exists(tenantId: string, id: string): Promise<boolean> {
    return this.keys.existsBy({ tenantId, id });
  }

  /** The writes below run in the caller's transaction, so that the audit row commits with them. */
  async insert(manager: EntityManager, key: NewTenantKey): Promise<TenantKeyEntity> {
    const result = await manager.insert(TenantKeyEntity, key);
    // generatedMaps holds what PostgreSQL filled in (created_at, updated_at), read back by RETURNING.
    return manager.create(TenantKeyEntity, { ...key, ...result.generatedMaps[0] });
  }

  /**
   * Stores `retired` on the tenant's keys with this kid or thumbprint whose retirement time has passed, so that the
   * unique indexes on (tenant, kid) and (tenant, thumbprint), which leave retired keys out, admit them again.
   */
  async settleRetirements(manager: EntityManager, tenantId: string, { kid, thumbprint }: Pick<TenantKeyEntity, 'kid' | 'thumbprint'>): Promise<void> {
    await manager
      .createQueryBuilder()
      .update(TenantKeyEntity)
      .set({ status: 'retired' })
      .where("tenant_id = :tenantId AND (kid = :kid OR thumbprint = :thumbprint) AND status = 'retiring' AND retire_at <= now()", {
        tenantId,
        kid,
        thumbprint,
      })
      .execute();
  }

  /**
   * Claims the publication of the key's successor for `seconds` from now (null: gives it up). Bookkeeping of the
   * scheduler, not a change of the key: its updated_at stays.
   */
  async claimPublication(manager: EntityManager, tenantId: string, id: string, seconds: number | null): Promise<void> {
    await manager.query(`UPDATE tenant_keys SET publishing_until = now() + make_interval(secs => $3::int) WHERE tenant_id = $1 AND id = $2`, [
      tenantId,
      id,
      seconds,
    ]);
  }

  /** The key, locked until the transaction ends; undefined when the tenant has no such key. */
  async lock(manager: EntityManager, tenantId: string, id: string): Promise<TenantKeyEntity | undefined> {
    return (await manager.findOne(TenantKeyEntity, { where: { tenantId, id }, lock: { mode: 'pessimistic_write' } })) ?? undefined;
  }

  /** Undefined when the tenant has no such key (or it was deleted meanwhile). */
  async update(manager: EntityManager, tenantId: string, id: string, changes: KeyChanges): Promise<TenantKeyEntity | undefined> {
    const result = await manager.update(TenantKeyEntity, { tenantId, id }, changes);
    return result.affected ? ((await manager.findOneBy(TenantKeyEntity, { tenantId, id })) ?? undefined) : undefined;
  }

  /**
   * The old key becomes `retiring` (only if it is still active and not rotated), giving up its alias and its next
   * rotation to the successor, which is inserted. Undefined when the old key was no longer active.
   */
  async rotate(manager: EntityManager, tenantId: string, id: string, retireAt: Date, successor: NewTenantKey): Promise<TenantKeyEntity | undefined> {
    const result = await manager.update(
      TenantKeyEntity,
      { tenantId, id, status: 'active', rotatedTo: IsNull() },
      { status: 'retiring', retireAt, rotatedTo: successor.id, alias: null, nextRotationAt: null },
    );
    if (!result.affected) return undefined;
    return this.insert(manager, successor);
  }

  async delete(manager: EntityManager, tenantId: string, id: string): Promise<boolean> {
    const result = await manager.delete(TenantKeyEntity, { tenantId, id });
    return (result.affected ?? 0) > 0;
  }

  /**
   * The HSM label of every key, of every tenant: the one query not scoped by tenant, since the token holds the key
   * pairs of all of them (`hsm:orphans` looks for pairs no key names).
   */
  async hsmLabels(): Promise<Set<string>> {
    const rows = await this.keys.query<{ hsm_label: string }[]>('SELECT hsm_label FROM tenant_keys WHERE hsm_label IS NOT NULL');
    return new Set(rows.map((row) => row.hsm_label));
  }
}
