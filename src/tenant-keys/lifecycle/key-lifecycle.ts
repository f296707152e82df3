import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { onThisRuntime } from '../../crypto/ml-dsa-runtime';
import type { EntityManager } from 'typeorm';
import { SYSTEM_ACTOR } from '../../audit/audit-trail';
import { APP_CONFIG, type RuntimeConfig } from '../../config/config';
import { TenantKeyEntity, type RotationPolicy } from '../entities/tenant-key.entity';
import { KeyWrites, newKeyRow, sameSpec, scheduledSuccessorSpec, secondsAfter, type SuccessorMaterial } from '../key-writes';
import { KeyCustody } from '../material/key-custody';
import { TenantKeysRepository } from '../tenant-keys.repository';
import { UnitOfWork, type Change } from '../../changes/unit-of-work';
import { deletedEvent, keyEvent, statusEvent, successionEvent } from '../../changes/events';

/** Steps taken per kind and per run at most, so that one run cannot hold an instance forever. */
const MAX_STEPS_PER_RUN = 100;
/** How long an instance has a successor's publication to itself while it makes the material; another may take it over after. */
const PUBLICATION_CLAIM_SECONDS = 120;
/** A step taken in its change (audit row, events, announcement); answers whether one was due. */
type Step = (change: Change) => Promise<boolean>;

/**
 * The steps keys take on their own: publish the successor of a key with a rotation policy `prePublishSeconds`
 * before its rotation, activate it at `nextRotationAt` (it takes the alias; the old key retires after
 * `retireAfterSeconds`), store `retired` at `retireAt`, delete a key at the end of its scheduled deletion, delete a
 * tenant's oldest retired keys past MAX_RETIRED_KEYS_PER_TENANT.
 * Each step claims its key with `FOR UPDATE SKIP LOCKED` in the step's own transaction, with its audit row and the
 * change's announcement: every instance may run the steps at once, and each due step is taken exactly once. A
 * publication makes its material first, outside any transaction (publishNext).
 */
@Injectable()
export class KeyLifecycle {
  private readonly logger = new Logger(KeyLifecycle.name);

  constructor(
    private readonly keys: TenantKeysRepository,
    private readonly writes: KeyWrites,
    private readonly custody: KeyCustody,
    private readonly work: UnitOfWork,
    @Inject(APP_CONFIG) private readonly config: RuntimeConfig,
  ) {}

  /**
   * Takes every step that is due now; answers how many were taken. A kind of step that fails (its key's material,
   * the database) is logged and left for the next run; the other kinds go on.
   */
  async runDueSteps(): Promise<number> {
    let taken = 0;
    const committed = (step: Step) => () => this.work.run(step);
    for (const [kind, takeStep] of [
      ['publish', () => this.publishNext()],
      ['activate', committed(this.activateDue)],
      ['retire', committed(this.retireDue)],
      ['delete', committed(this.deleteDue)],
      ['prune', committed(this.pruneRetired)],
      ['certificate warning', committed(this.warnCertificateExpiry)],
    ] as const) {
      try {
        for (let i = 0; i < MAX_STEPS_PER_RUN && (await takeStep()); i++) taken++;
      } catch (error) {
        this.logger.warn(`Key lifecycle ${kind} steps stopped for this run: ${(error as Error).message}`);
      }
    }
    return taken;
  }

  /**
   * Makes a `next` key active now (at its time, or when its predecessor is rotated by hand): it takes the alias and
   * the predecessor's signing policy, and the predecessor retires after `retireAfterSeconds` (the hand rotation's grace, else the policy's).
   * Answers the key activated, and its predecessor as it left it.
   */
  async activate(
    manager: EntityManager,
    next: TenantKeyEntity,
    { retireAfterSeconds, rotationPolicy = next.rotationPolicy }: { retireAfterSeconds?: number; rotationPolicy?: RotationPolicy | null } = {},
  ): Promise<{ activated: TenantKeyEntity; predecessor: TenantKeyEntity | undefined }> {
    let predecessor = next.rotatedFrom ? await this.keys.lock(manager, next.tenantId, next.rotatedFrom) : undefined;
    const now = new Date();
    let alias: string | null = null;
    if (predecessor && predecessor.status === 'active') {
      alias = predecessor.alias;
      const retireAfter = retireAfterSeconds ?? predecessor.rotationPolicy?.retireAfterSeconds ?? rotationPolicy?.retireAfterSeconds ?? 0;
      predecessor = await this.keys.update(manager, predecessor.tenantId, predecessor.id, {
        status: 'retiring',
        retireAt: secondsAfter(now, retireAfter),
        alias: null,
        nextRotationAt: null,
      });
    }
    // The next period counts from the planned activation, unless that is already past (the instances were down).
    const planned = rotationPolicy && next.activatesAt ? secondsAfter(next.activatesAt, rotationPolicy.rotateEverySeconds) : null;
    const nextRotationAt = rotationPolicy ? (planned && planned > now ? planned : secondsAfter(now, rotationPolicy.rotateEverySeconds)) : null;
    const activated = await this.keys.update(manager, next.tenantId, next.id, {
      status: 'active',
      activatesAt: null,
      alias,
      nextRotationAt,
      rotationPolicy,
      // It signs under what its predecessor enforces now, never the copy made when it was published.
      ...(predecessor ? { signingPolicy: predecessor.signingPolicy } : {}),
    });
    return { activated: activated!, predecessor };
  }

  /**
   * Publishes, as `next`, the successor of a key whose rotation is `prePublishSeconds` away; answers whether a key was
   * due. Its material takes long (an RSA pair waits its turn on the generator), so no row stays locked meanwhile: the
   * key is claimed for PUBLICATION_CLAIM_SECONDS (other instances pass it by), the material made, and the successor
   * stored only if the key, locked again, is still due. One instance's claim that ran out lets another make a second
   * successor, and the later of the two to be stored finds the key rotated: each key is published once.
   */
  private async publishNext(): Promise<boolean> {
    const old = await this.work.run(async ({ manager }) => {
      const due = await this.keys.claimDue(manager, 'publish');
      if (due) await this.keys.claimPublication(manager, due.tenantId, due.id, PUBLICATION_CLAIM_SECONDS);
      return due;
    });
    if (!old) return false;
    const algorithm = old.rotationPolicy?.algorithm ?? old.algorithm;
    if (onThisRuntime([algorithm]).length === 0) {
      // This Node cannot make it (ML-DSA before Node 24.7): the claim stays for PUBLICATION_CLAIM_SECONDS, so that a newer
      // instance takes the key meanwhile and the other due keys get their turn here.
      this.logger.warn(`Key ${old.id} is due a ${algorithm} successor, which this runtime (${process.version}) cannot make`);
      return true;
    }
    const successorId = randomUUID();
    // A tenant holding all the keys a rotation may reach gets no material made: storeSuccessor postpones the rotation.
    const full = (await this.keys.countInUse(old.tenantId)) >= 2 * this.config.limits.keysPerTenant;
    const made = full
      ? undefined
      : await this.writes.successorMaterial(old, successorId).catch(async (error: unknown) => {
          // The next run tries again; should the database be away too, the claim runs out instead.
          await this.work.run(({ manager }) => this.keys.claimPublication(manager, old.tenantId, old.id, null)).catch(() => undefined);
          throw error;
        });
    const material = made?.material;
    // An HSM successor's pair is destroyed again if its row is not stored.
    const stored = await this.work
      .run((change) => this.storeSuccessor(change, old, successorId, made))
      .catch(async (error: unknown) => {
        if (material) await this.custody.discard(material);
        throw error;
      });
    if (material && !stored) await this.custody.discard(material);
    return true;
  }

  /**
   * The successor stored as `next`, from the key as it is now, if it is still due (else nothing); or, when the
   * tenant holds twice MAX_KEYS_PER_TENANT keys in use, the rotation postponed by a period (the key signs on).
   * Answers whether the successor was stored.
   */
  private async storeSuccessor(change: Change, claimed: TenantKeyEntity, successorId: string, made: SuccessorMaterial | undefined): Promise<boolean> {
    const { manager } = change;
    // The tenant's key lock before the row's, as a rotation by hand takes them (lockCount): never a deadlock with it.
    const inUse = await this.keys.countInUseLocked(manager, claimed.tenantId);
    const old = await this.keys.lockIfPublicationDue(manager, claimed.tenantId, claimed.id);
    await this.keys.claimPublication(manager, claimed.tenantId, claimed.id, null);
    // A policy that changed the successor's algorithm while the material was made: the next run makes another.
    if (!old || (made && !sameSpec(made.spec, scheduledSuccessorSpec(old)))) return false;
    const limit = this.config.limits.keysPerTenant;
    if (!made || inUse >= 2 * limit) {
      const nextRotationAt = secondsAfter(new Date(), old.rotationPolicy!.rotateEverySeconds);
      await this.keys.update(manager, old.tenantId, old.id, { nextRotationAt });
      const detail = { reason: `MAX_KEYS_PER_TENANT (${limit}): twice as many keys in use`, nextRotationAt: nextRotationAt.toISOString() };
      change.audit({ actor: SYSTEM_ACTOR, action: 'key.rotation_postponed', keyId: old.id, tenantId: old.tenantId, detail });
      change.announce(old.tenantId);
      return false;
    }
    const successor = newKeyRow(old.tenantId, successorId, made.spec, made.material, {
      name: old.name,
      issuer: old.issuer,
      status: 'next',
      rotationPolicy: old.rotationPolicy,
      signingPolicy: old.signingPolicy,
      rotatedFrom: old.id,
      // Never sooner than prePublishSeconds from now (a late publication, after downtime): caches must hold it first.
      activatesAt: latest(old.nextRotationAt!, secondsAfter(new Date(), old.rotationPolicy!.prePublishSeconds)),
    });
    await this.keys.insert(manager, successor);
    const published = (await this.keys.update(manager, old.tenantId, old.id, { rotatedTo: successorId }))!;
    const detail = { successorId, algorithm: successor.algorithm };
    change.audit({ actor: SYSTEM_ACTOR, action: 'key.publish_next', keyId: old.id, tenantId: old.tenantId, detail });
    change.emit('key.next_published', successionEvent(published, successorId));
    change.announce(old.tenantId);
    return true;
  }

  private readonly activateDue: Step = async (change) => {
    const next = await this.keys.claimDue(change.manager, 'activate');
    if (!next) return false;
    const { activated, predecessor } = await this.activate(change.manager, next);
    change.audit({
      actor: SYSTEM_ACTOR,
      action: 'key.activate',
      keyId: next.id,
      tenantId: next.tenantId,
      detail: predecessor ? { previousId: predecessor.id } : undefined,
    });
    change.emit('key.activated', keyEvent(activated));
    if (predecessor) change.emit('key.retiring', statusEvent(predecessor, 'retiring'));
    change.announce(next.tenantId);
    return true;
  };

  /** Retirement is in effect from retireAt on (effectiveStatus); this stores it and tells the trail. */
  private readonly retireDue: Step = async (change) => {
    const key = await this.keys.claimDue(change.manager, 'retire');
    if (!key) return false;
    const retired = (await this.keys.update(change.manager, key.tenantId, key.id, { status: 'retired' }))!;
    change.audit({ actor: SYSTEM_ACTOR, action: 'key.retire', keyId: key.id, tenantId: key.tenantId });
    change.emit('key.retired', statusEvent(retired, 'retired'));
    change.announce(key.tenantId);
    return true;
  };

  private readonly deleteDue: Step = async (change) => {
    const key = await this.keys.claimDue(change.manager, 'delete');
    if (!key) return false;
    await this.deleteKey(change, key, { scheduled: true });
    return true;
  };

  /**
   * The oldest retired key of a tenant that keeps more than MAX_RETIRED_KEYS_PER_TENANT: retired keys neither sign nor
   * verify, and are kept as history up to that many. Counted again under the tenant's key lock, so that instances
   * pruning the same tenant at once never delete one too many.
   */
  private readonly pruneRetired: Step = async (change) => {
    const { manager } = change;
    const keep = this.config.limits.retiredKeysPerTenant;
    const key = await this.keys.claimDue(manager, 'prune', { keep });
    if (!key || (await this.keys.countRetiredLocked(manager, key.tenantId)) <= keep) return false;
    await this.deleteKey(change, key, { pruned: true });
    return true;
  };

  /** A claimed key deleted by the scheduler (its deletion was due, or it was pruned): audited, announced, its HSM objects destroyed after commit. */
  private async deleteKey(change: Change, key: TenantKeyEntity, detail: { scheduled: true } | { pruned: true }): Promise<void> {
    await this.keys.delete(change.manager, key.tenantId, key.id);
    this.custody.destroyAfterCommit(change, key);
    change.audit({ actor: SYSTEM_ACTOR, action: 'key.delete', keyId: key.id, tenantId: key.tenantId, detail });
    change.emit('key.deleted', deletedEvent(key));
    change.announce(key.tenantId);
  }

  /**
   * An active or next key whose leaf certificate expires within a threshold not yet announced: the nearest such
   * threshold is announced (a certificate attached 5 days before its end is announced at 7 days only).
   */
  private readonly warnCertificateExpiry: Step = async (change) => {
    const { manager } = change;
    const key = await this.keys.claimDue(manager, 'certificateWarning');
    if (!key) return false;
    const daysBefore = await this.keys.certificateWarningDays(manager, key.tenantId, key.id);
    const warned = (await this.keys.update(manager, key.tenantId, key.id, { certificateWarnedDays: daysBefore }))!;
    const expiresAt = key.certificateExpiresAt!.toISOString();
    change.audit({
      actor: SYSTEM_ACTOR,
      action: 'key.certificate_expiring',
      keyId: key.id,
      tenantId: key.tenantId,
      detail: { daysBefore, expiresAt },
    });
    change.emit('key.certificate_expiring', { ...keyEvent(warned), daysBefore, expiresAt });
    change.announce(key.tenantId);
    return true;
  };
}

function latest(a: Date, b: Date): Date {
  return a > b ? a : b;
}
