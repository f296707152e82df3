import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { Inject, Injectable } from '@nestjs/common';
import { isUUID } from 'class-validator';
import type { AuditDetail } from '../audit/audit-event.entity';
import { AuditTrail, type AuditEvent, type TenantActor } from '../audit/audit-trail';
import { ValidationFailedError } from '../common/domain-error';
import { decodeCursor, encodeCursor, pageOf } from '../common/paging';
import type { Page } from '../common/response-envelope';
import { APP_CONFIG, type RuntimeConfig } from '../config/config';
import { algorithmSpec, DEFAULT_CERTIFICATE_DAYS, signingKeySpec, type SigningAlgorithm, type SigningKeySpec } from '../crypto/algorithms';
import { parseImportedKey } from '../crypto/key-import';
import { assertRuntimeSupports } from '../crypto/ml-dsa-runtime';
import { isUniqueViolation, violatedUniqueIndex } from '../database/database-errors';
import type { CertificateOptionsDto } from './dto/certificate-options.dto';
import { certifiedKey } from './certificates/key-certificates.service';
import type { GenerateKeyDto } from './dto/generate-key.dto';
import type { ImportKeyDto } from './dto/import-key.dto';
import { KID, KID_MESSAGE, validAlias } from '../common/key-names';
import { DEFAULT_DELETION_SECONDS, type RotationPolicyDto, type SigningPolicyDto } from './dto/key-lifecycle.dto';
import type { SigningPolicy } from './signing/signing-policy';
import { DEFAULT_GRACE_PERIOD_SECONDS, type RotateKeyDto } from './dto/key-usage.dto';
import { toTenantKeyView, type TenantKeyView } from './dto/tenant-key.view';
import type { UpdateKeyDto } from './dto/update-key.dto';
import { canSign, effectiveStatus, type KeyCustodyKind, type RotationPolicy, type TenantKeyEntity } from './entities/tenant-key.entity';
import {
  AliasTakenError,
  KeyIdTakenError,
  KeyLimitError,
  KeyMaterialExistsError,
  KeyNotActiveError,
  KeyNotFoundError,
  KidTakenError,
} from './key-errors';
import { KeyCustody } from './material/key-custody';
import { KeyWrites, newKeyRow, sameSpec, secondsAfter, specOf, successorSpec, type NewKeyPlace } from './key-writes';
import type { NewKeyDto } from './dto/new-key.dto';
import { KeyLifecycle } from './lifecycle/key-lifecycle';
import { validRotationPolicy } from './lifecycle/rotation-policy';
import { sealKeyMaterial, type CertificateSubject, type KeyMaterial } from './material/key-material';
import {
  TenantKeysRepository,
  UNIQUE_ALIAS_INDEX,
  UNIQUE_KID_INDEX,
  UNIQUE_THUMBPRINT_INDEX,
  type KeyChanges,
  type NewTenantKey,
} from './tenant-keys.repository';
import { SecretSealer } from '../sealing/secret-sealer';
import { assertKeepsNamesAndPolicies, type SignGrant } from './signing/sign-grant';
import { UnitOfWork, type Change } from '../changes/unit-of-work';
import { deletedEvent, keyEvent, statusEvent, successionEvent, type EventKey } from '../changes/events';

@Injectable()
export class TenantKeysService {
  constructor(
    private readonly keys: TenantKeysRepository,
    private readonly writes: KeyWrites,
    private readonly work: UnitOfWork,
    private readonly lifecycle: KeyLifecycle,
    private readonly audit: AuditTrail,
    private readonly custody: KeyCustody,
    private readonly sealer: SecretSealer,
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

  /** The keys verifiers should trust, as the JWKS publishes them (the FusionAuth mount's public keys). */
  async listPublishedKeys(tenantId: string): Promise<TenantKeyView[]> {
    return (await this.keys.listPublishable(tenantId)).map(toTenantKeyView);
  }

  async getKey(tenantId: string, id: string): Promise<TenantKeyView> {
    const key = await this.keys.getById(tenantId, id);
    if (!key) throw new KeyNotFoundError();
    return toTenantKeyView(key);
  }

  async getKeyByAlias(tenantId: string, alias: string): Promise<TenantKeyView> {
    const key = await this.keys.getByAlias(tenantId, validAlias(alias));
    if (!key) throw new KeyNotFoundError();
    return toTenantKeyView(key);
  }

  /** `PUT /key/:id`: the name, the alias, the rotation policy, or any of them (null removes the last two). */
  async updateKey(actor: TenantActor, id: string, request: UpdateKeyDto, grant: SignGrant = null): Promise<TenantKeyView> {
    const onlyName = request.alias === undefined && request.rotationPolicy === undefined && request.signingPolicy === undefined;
    // Only fields sent as null, each the same as left out: nothing changes.
    if (onlyName && request.name === undefined) return this.getKey(actor.tenantId, id);
    const detail = {
      ...definedOnly({ name: request.name, alias: request.alias === null ? 'removed' : request.alias }),
      ...policyDetail(request.rotationPolicy),
      ...(request.signingPolicy === undefined
        ? {}
        : { signingPolicy: request.signingPolicy === null ? 'removed' : JSON.stringify(signingPolicyOf(request.signingPolicy)) }),
    };
    const event: AuditEvent = { actor, action: onlyName ? 'key.rename' : 'key.update', keyId: id, detail };
    return this.audit.attempt(event, async () => {
      assertKeepsNamesAndPolicies(grant, {
        alias: request.alias !== undefined,
        rotationPolicy: request.rotationPolicy !== undefined,
        signingPolicy: request.signingPolicy !== undefined,
      });
      const policy = request.rotationPolicy === undefined ? undefined : this.validPolicy(request.rotationPolicy);
      const updated = await this.aliasChange(request.alias, () =>
        this.work.run(async (change) => {
          const { manager } = change;
          const key = await this.keys.lock(manager, actor.tenantId, id);
          if (!key) throw new KeyNotFoundError();
          if (request.alias && effectiveStatus(key) !== 'active')
            throw new KeyNotActiveError(`Key is ${effectiveStatus(key)}: an alias goes on an active key`);
          if (request.signingPolicy !== undefined && key.status === 'next')
            throw new KeyNotActiveError("A next key signs under its predecessor's signing policy: change the predecessor's");
          if (policy) this.assertPolicyFits(policy, { spec: specOf(key), custody: key.custody });
          // A new policy (or none) replaces the schedule: a successor published under the old one goes.
          if (policy !== undefined && (await this.dropPublishedSuccessor(change, key))) key.rotatedTo = null;
          const changes: KeyChanges = definedOnly({
            name: request.name,
            alias: request.alias,
            signingPolicy: signingPolicyOf(request.signingPolicy),
          });
          if (policy !== undefined) Object.assign(changes, this.policyChanges(key, policy));
          if (changes.signingPolicy !== undefined) await this.passSigningPolicyOn(manager, key, changes.signingPolicy);
          const updated = (await this.keys.update(manager, actor.tenantId, id, changes))!;
          change.audit(event);
          if (request.name !== undefined) change.emit('key.renamed', keyEvent(updated));
          change.announce(actor.tenantId);
          return updated;
        }),
      );
      return toTenantKeyView(updated);
    });
  }

  async deleteKey(actor: TenantActor, id: string): Promise<{ id: string }> {
    const event: AuditEvent = { actor, action: 'key.delete', keyId: id };
    return this.audit.attempt(event, async () => {
      await this.work.run(async (change) => {
        const key = await this.keys.lock(change.manager, actor.tenantId, id);
        if (!key) throw new KeyNotFoundError();
        await this.settleSuccession(change, key);
        await this.keys.delete(change.manager, actor.tenantId, id);
        this.custody.destroyAfterCommit(change, key);
        change.audit(event);
        // The deleted row names the kid and alias the key had.
        change.emit('key.deleted', deletedEvent(key));
        change.announce(actor.tenantId);
      });
      return { id };
    });
  }

  /** `pathId` comes from `POST /key/generate/:id`; the body's `uuid` means the same and must agree with it. */
  async generateKey(actor: TenantActor, request: GenerateKeyDto, { pathId, grant = null }: NewKeyCall = {}): Promise<TenantKeyView> {
    const requested = requestedKeyId(request.uuid, pathId);
    const failure: AuditEvent = { actor, action: 'key.generate', keyId: requested, detail: { algorithm: request.algorithm } };
    return this.audit.attempt(failure, async () => {
      assertNewKeyNamesFree(grant, request, requested);
      assertIdsAgree(request.uuid, pathId);
      const spec = signingKeySpec(request.algorithm, request.length);
      assertRuntimeSupports(spec.algorithm, 'algorithm');
      const custody = request.custody ?? 'software';
      const policy = this.validPolicy(request.rotationPolicy ?? null, { spec, custody });
      const certificate = certificateSubject(spec.algorithm, request, request.name, request.issuer ?? null);
      if (custody === 'hsm') this.custody.assertHsmCanHold(spec, certificate !== undefined);
      const id = await this.unusedKeyId(actor.tenantId, requested);
      await this.assertRoomForKey(actor.tenantId, { rotation: false });
      const material = await this.writes.generate(actor.tenantId, id, spec, certificate, custody);
      const key = newKeyRow(actor.tenantId, id, spec, material, newKeyPlace(request, policy));
      return this.insertNewKey({ ...failure, keyId: id }, key, { imported: false }).catch(async (error: unknown) => {
        await this.custody.discard(material);
        throw error;
      });
    });
  }

  /** A key made elsewhere; a public-only key verifies but cannot sign (nor rotate on a schedule). */
  async importKey(actor: TenantActor, request: ImportKeyDto, { pathId, grant = null }: NewKeyCall = {}): Promise<TenantKeyView> {
    const requested = requestedKeyId(request.uuid, pathId);
    const failure: AuditEvent = { actor, action: 'key.import', keyId: requested };
    return this.audit.attempt(failure, async () => {
      assertNewKeyNamesFree(grant, request, requested);
      assertIdsAgree(request.uuid, pathId);
      const imported = parseImportedKey(request);
      const policy = this.validPolicy(request.rotationPolicy ?? null, { spec: imported.spec, custody: 'software' });
      if (policy && !imported.privateKey) {
        throw new ValidationFailedError([{ field: 'rotationPolicy', message: 'rotationPolicy needs a key with its private part' }]);
      }
      const id = await this.unusedKeyId(actor.tenantId, requested);
      const material = await sealKeyMaterial(this.sealer, actor.tenantId, id, imported.spec.algorithm, imported, importedKid(request));
      if (request.certificateChain)
        Object.assign(material, certifiedKey(request.certificateChain, { algorithm: imported.spec.algorithm, ...material }));
      await this.assertKeyMaterialAndKidFree(actor.tenantId, material);
      const key = newKeyRow(actor.tenantId, id, imported.spec, material, newKeyPlace(request, policy));
      const detail = { algorithm: imported.spec.algorithm, hasPrivateKey: imported.privateKey !== undefined };
      return this.insertNewKey({ ...failure, keyId: id, detail }, key, { imported: true });
    });
  }

  /**
   * A new key like the old one (issuer, name, alias, policies; its algorithm and length unless the request names
   * others) signs from now on; the old one keeps verifying, and stays in the JWKS, until `retireAt`. A successor
   * already published (`next`) is activated now.
   */
  async rotateKey(actor: TenantActor, id: string, request: RotateKeyDto, grant: SignGrant = null): Promise<TenantKeyView> {
    const successorId = randomUUID();
    const event: AuditEvent = { actor, action: 'key.rotate', keyId: id, detail: { successorId, ...definedOnly({ algorithm: request.algorithm }) } };
    return this.audit.attempt(event, async () => {
      assertKeepsNamesAndPolicies(grant, { rotationPolicy: request.rotationPolicy !== undefined });
      const old = await this.keys.getById(actor.tenantId, id);
      if (!old) throw new KeyNotFoundError();
      if (effectiveStatus(old) !== 'active') throw new KeyNotActiveError('Only an active key can be rotated');
      const spec = successorSpec(specOf(old), request);
      const published = old.rotatedTo ? await this.keys.getById(actor.tenantId, old.rotatedTo) : undefined;
      if (published?.status === 'next') return this.activateNow(event, published, request, spec);
      const policy =
        request.rotationPolicy === undefined ? old.rotationPolicy : this.validPolicy(request.rotationPolicy, { spec, custody: old.custody });
      // The successor keeps a certificate if the old key had one, unless the request says otherwise.
      const certificate = certificateSubject(
        spec.algorithm,
        { ...request, certificate: request.certificate ?? old.certificatePem !== null },
        old.name,
        old.issuer,
      );
      // The HSM holds the old key's kind already; a certificate or another algorithm it may not.
      if (old.custody === 'hsm' && (certificate || spec.algorithm !== old.algorithm)) this.custody.assertHsmCanHold(spec, certificate !== undefined);
      await this.assertRoomForKey(actor.tenantId, { rotation: true });
      const material = await this.writes.generate(actor.tenantId, successorId, spec, certificate, old.custody);
      const now = new Date();
      const successor = newKeyRow(actor.tenantId, successorId, spec, material, {
        name: old.name,
        issuer: old.issuer,
        alias: old.alias,
        rotationPolicy: policy,
        signingPolicy: old.signingPolicy,
        rotatedFrom: id,
        nextRotationAt: policy && secondsAfter(now, policy.rotateEverySeconds),
      });
      const grace = request.gracePeriodSeconds ?? old.rotationPolicy?.retireAfterSeconds ?? DEFAULT_GRACE_PERIOD_SECONDS;
      const rotated = await this.work
        .run(async (change) => {
          await this.assertRoomForKey(actor.tenantId, { rotation: true, manager: change.manager });
          const inserted = await this.keys.rotate(change.manager, actor.tenantId, id, secondsAfter(now, grace), successor);
          // Someone rotated or deleted it between our read and our write.
          if (!inserted) throw new KeyNotActiveError('Only an active key can be rotated');
          change.audit({ ...event, detail: { successorId, algorithm: spec.algorithm } });
          // The old key as the rotation left it: retiring, its alias handed to the successor.
          emitRotation(change, { ...old, status: 'retiring', alias: null }, successorId);
          change.announce(actor.tenantId);
          return inserted;
        })
        .catch(async (error: unknown) => {
          await this.custody.discard(material);
          throw error;
        });
      return toTenantKeyView(rotated);
    });
  }

  /**
   * The key leaves the JWKS and neither signs nor verifies; at `deleteAt` it is deleted, unless the deletion is
   * cancelled before.
   */
  async scheduleDeletion(actor: TenantActor, id: string, afterSeconds = DEFAULT_DELETION_SECONDS): Promise<TenantKeyView> {
    const event: AuditEvent = { actor, action: 'key.schedule_deletion', keyId: id, detail: { afterSeconds } };
    return this.audit.attempt(event, async () => {
      if (afterSeconds < this.config.deletionMinWindowSeconds) {
        const message = `afterSeconds must be at least ${this.config.deletionMinWindowSeconds} (DELETION_MIN_WINDOW_SECONDS)`;
        throw new ValidationFailedError([{ field: 'afterSeconds', message }]);
      }
      const scheduled = await this.work.run(async (change) => {
        const { manager } = change;
        const key = await this.keys.lock(manager, actor.tenantId, id);
        if (!key) throw new KeyNotFoundError();
        if (key.status === 'pending_deletion') throw new KeyNotActiveError('Key is already pending deletion');
        // Cancelled, a next key would come back beside the successor its predecessor publishes meanwhile.
        if (key.status === 'next')
          throw new KeyNotActiveError('A next key is not scheduled for deletion: delete it, and its predecessor publishes another');
        await this.settleSuccession(change, key);
        const scheduled = (await this.keys.update(manager, actor.tenantId, id, {
          status: 'pending_deletion',
          deleteAt: secondsAfter(new Date(), afterSeconds),
          restoreStatus: key.status,
          restoreAlias: key.alias,
          alias: null,
        }))!;
        change.audit(event);
        change.emit('key.deletion_scheduled', keyEvent(scheduled));
        change.announce(actor.tenantId);
        return scheduled;
      });
      return toTenantKeyView(scheduled);
    });
  }

  /**
   * Puts a key pending deletion back as it was: its status, and its alias if no other key took it meanwhile (which an
   * API key limited by signKeys may not do: the alias would name a key outside its grant).
   */
  async cancelDeletion(actor: TenantActor, id: string, grant: SignGrant = null): Promise<TenantKeyView> {
    const event: AuditEvent = { actor, action: 'key.cancel_deletion', keyId: id };
    return this.audit.attempt(event, async () => {
      const restored = await this.work.run(async (change) => {
        const { manager } = change;
        const key = await this.keys.lock(manager, actor.tenantId, id);
        if (!key) throw new KeyNotFoundError();
        if (key.status !== 'pending_deletion') throw new KeyNotActiveError('Key is not pending deletion');
        const aliasFree = key.restoreAlias !== null && !(await this.keys.aliasHeld(manager, actor.tenantId, key.restoreAlias));
        assertKeepsNamesAndPolicies(grant, { alias: aliasFree });
        const restored = (await this.keys.update(manager, actor.tenantId, id, {
          status: key.restoreStatus ?? 'active',
          alias: aliasFree ? key.restoreAlias : null,
          deleteAt: null,
          restoreStatus: null,
          restoreAlias: null,
        }))!;
        change.audit(event);
        change.emit('key.deletion_cancelled', keyEvent(restored));
        change.announce(actor.tenantId);
        return restored;
      });
      return toTenantKeyView(restored);
    });
  }

  /**
   * A hand rotation of a key whose successor is already published: that successor takes over now. A request that
   * names another algorithm or length than it has (`spec`) is refused: only a published key is in every verifier's JWKS.
   */
  private async activateNow(event: AuditEvent, next: TenantKeyEntity, request: RotateKeyDto, spec: SigningKeySpec): Promise<TenantKeyView> {
    if ((request.algorithm !== undefined || request.length !== undefined) && !sameSpec(spec, specOf(next))) {
      const field = request.algorithm !== undefined ? 'algorithm' : 'length';
      const message = `${field} must be left out or match the successor already published (${next.algorithm}, length ${next.length}); to publish another, change or remove the rotation policy first`;
      throw new ValidationFailedError([{ field, message }]);
    }
    const rotationPolicy =
      request.rotationPolicy === undefined
        ? next.rotationPolicy
        : this.validPolicy(request.rotationPolicy, { spec: specOf(next), custody: next.custody });
    const retireAfterSeconds = request.gracePeriodSeconds;
    const activated = await this.work.run(async (change) => {
      const locked = await this.keys.lock(change.manager, next.tenantId, next.id);
      // Someone deleted or activated it between our read and our write.
      if (locked?.status !== 'next') throw new KeyNotActiveError('The key changed meanwhile: try the rotation again');
      const { activated, predecessor } = await this.lifecycle.activate(change.manager, locked, { retireAfterSeconds, rotationPolicy });
      change.audit({ ...event, detail: { successorId: next.id, algorithm: next.algorithm } });
      // A next key always has its predecessor (deleting or scheduling the deletion of a key drops its next one).
      if (predecessor) emitRotation(change, predecessor, next.id);
      change.announce(next.tenantId);
      return activated;
    });
    return toTenantKeyView(activated);
  }

  /**
   * A key goes (deleted, or its deletion scheduled). A `next` key's predecessor forgets it, and publishes another
   * when its rotation comes; a key that goes takes its published successor with it. Answers the successor dropped.
   */
  private async settleSuccession(change: Change, key: TenantKeyEntity): Promise<string | undefined> {
    if (key.status === 'next' && key.rotatedFrom) {
      const predecessor = await this.keys.lock(change.manager, key.tenantId, key.rotatedFrom);
      if (predecessor?.rotatedTo === key.id) await this.keys.update(change.manager, key.tenantId, predecessor.id, { rotatedTo: null });
    }
    return this.dropPublishedSuccessor(change, key);
  }

  /** A published successor signs under its predecessor's signing policy: a change reaches it in the same transaction. */
  private async passSigningPolicyOn(manager: EntityManager, key: TenantKeyEntity, signingPolicy: SigningPolicy | null): Promise<void> {
    if (!key.rotatedTo) return;
    const successor = await this.keys.lock(manager, key.tenantId, key.rotatedTo);
    if (successor?.status === 'next') await this.keys.update(manager, key.tenantId, successor.id, { signingPolicy });
  }

  /** Deletes the key's successor if it is only published (`next`), and clears `rotatedTo`; answers its id. */
  private async dropPublishedSuccessor(change: Change, key: TenantKeyEntity): Promise<string | undefined> {
    if (!key.rotatedTo) return undefined;
    const successor = await this.keys.lock(change.manager, key.tenantId, key.rotatedTo);
    if (successor?.status !== 'next') return undefined;
    await this.keys.delete(change.manager, key.tenantId, successor.id);
    this.custody.destroyAfterCommit(change, successor);
    await this.keys.update(change.manager, key.tenantId, key.id, { rotatedTo: null });
    return successor.id;
  }

  /**
   * The policy as stored, its bounds checked; with `key` (its spec and custody), also the successors it asks for
   * (assertPolicyFits).
   */
  private validPolicy(policy: RotationPolicyDto | null, key?: PolicyHolder): RotationPolicy | null {
    const valid = validRotationPolicy(policy, this.config.jwksMaxAgeSeconds);
    if (key) this.assertPolicyFits(valid, key);
    return valid;
  }

  /** 400 unless the key can have the successors the policy asks for (successorSpec), and its HSM can hold them. */
  private assertPolicyFits(policy: RotationPolicy | null, { spec, custody }: PolicyHolder): void {
    if (policy?.algorithm === undefined && policy?.length === undefined) return;
    const successor = successorSpec(spec, policy, 'rotationPolicy.');
    if (custody === 'hsm' && successor.algorithm !== spec.algorithm) this.custody.assertHsmCanHold(successor, false);
  }

  /** Setting a policy starts its first period now (for a key that signs); removing it stops the schedule (the caller drops a published successor). */
  private policyChanges(key: TenantKeyEntity, policy: RotationPolicy | null): KeyChanges {
    if (policy && !canSign(key)) {
      throw new ValidationFailedError([{ field: 'rotationPolicy', message: 'rotationPolicy needs a key with its private part' }]);
    }
    const signs = effectiveStatus(key) === 'active' && key.rotatedTo === null;
    return { rotationPolicy: policy, nextRotationAt: policy && signs ? secondsAfter(new Date(), policy.rotateEverySeconds) : null };
  }

  /** Runs a change that may set `alias`: the unique index on (tenant, alias) answers ALIAS_TAKEN. */
  private async aliasChange<T>(alias: string | null | undefined, change: () => Promise<T>): Promise<T> {
    try {
      return await change();
    } catch (error) {
      if (alias && isUniqueViolation(error) && violatedUniqueIndex(error) === UNIQUE_ALIAS_INDEX) throw new AliasTakenError(alias);
      throw error;
    }
  }

  /**
   * 409 when the tenant holds MAX_KEYS_PER_TENANT keys in use (retired ones are not counted), or twice as many for a
   * rotation (so that a tenant at its limit can still replace each key once). Checked before key material is made, so
   * that a full tenant costs no generation; with `manager`, again in the transaction that inserts the key, counted
   * under a lock that decides races.
   */
  private async assertRoomForKey(tenantId: string, { rotation, manager }: { rotation: boolean; manager?: EntityManager }): Promise<void> {
    const limit = this.config.limits.keysPerTenant;
    const held = manager ? await this.keys.countInUseLocked(manager, tenantId) : await this.keys.countInUse(tenantId);
    if (held >= (rotation ? 2 * limit : limit)) throw new KeyLimitError(limit, { rotation });
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
      const inserted = await this.aliasChange(key.alias, () =>
        this.work.run(async (change) => {
          const { manager } = change;
          await this.assertRoomForKey(key.tenantId, { rotation: false, manager });
          // A generated key's kid is new; an imported one's kid or material may be held by a key whose retirement is not yet stored.
          if (imported) await this.keys.settleRetirements(manager, key.tenantId, key);
          const inserted = await this.keys.insert(manager, key);
          change.audit(event);
          change.emit(imported ? 'key.imported' : 'key.created', keyEvent(inserted));
          change.announce(key.tenantId);
          return inserted;
        }),
      );
      return toTenantKeyView(inserted);
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      const index = violatedUniqueIndex(error);
      if (index !== UNIQUE_THUMBPRINT_INDEX && index !== UNIQUE_KID_INDEX) throw new KeyIdTakenError();
      // The same answers as before the insert (material first), naming the key that won the race.
      await this.assertKeyMaterialAndKidFree(key.tenantId, key);
      // The holder is gone again by now: the import may simply be tried again.
      throw index === UNIQUE_THUMBPRINT_INDEX ? new KeyMaterialExistsError() : new KidTakenError(key.kid);
    }
  }

  /**
   * 409 when a key of the tenant that is not retired holds this key material (under whatever kid), or has this kid.
   * Checked first for a clear answer; the unique indexes on (tenant, thumbprint) and (tenant, kid) still decide races.
   */
  private async assertKeyMaterialAndKidFree(tenantId: string, { kid, thumbprint }: Pick<KeyMaterial, 'kid' | 'thumbprint'>): Promise<void> {
    const materialHolder = thumbprint && (await this.keys.findUnretiredByThumbprint(tenantId, thumbprint));
    if (materialHolder) throw new KeyMaterialExistsError(materialHolder.id);
    const kidHolder = await this.keys.findUnretiredByKid(tenantId, kid);
    if (kidHolder) throw new KidTakenError(kid, kidHolder.id);
  }
}

/** A rotation's events (by hand, or of a published successor): the old key, as the rotation left it, gives way to its successor and retires. */
export function emitRotation(change: Change, old: EventKey, successorId: string): void {
  change.emit('key.rotated', successionEvent(old, successorId));
  change.emit('key.retiring', statusEvent(old, 'retiring'));
}

/** The object without its undefined members. */
function definedOnly<T extends object>(object: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined)) as { [K in keyof T]: Exclude<T[K], undefined> };
}

/** The kid an import asks for: `kid`, else a JWK's own (which must be one a kid may be), else none (the thumbprint). */
function importedKid(request: ImportKeyDto): string | undefined {
  if (request.kid !== undefined) return request.kid;
  const own: unknown = request.jwk?.kid;
  if (own === undefined || own === null) return undefined;
  if (typeof own !== 'string' || !KID.test(own)) throw new ValidationFailedError([{ field: 'jwk.kid', message: `jwk.${KID_MESSAGE}` }]);
  return own;
}

/** Where a generated or imported key starts: its name, issuer, alias and policies, its first period from now. */
function newKeyPlace(request: NewKeyDto, policy: RotationPolicy | null): NewKeyPlace {
  return {
    name: request.name,
    issuer: request.issuer ?? null,
    alias: request.alias,
    rotationPolicy: policy,
    signingPolicy: signingPolicyOf(request.signingPolicy),
    nextRotationAt: policy && secondsAfter(new Date(), policy.rotateEverySeconds),
  };
}

/** A signing policy as stored: only the rules given (a null policy stays null: no policy). */
function signingPolicyOf(policy: SigningPolicyDto | null | undefined): SigningPolicy | null | undefined {
  if (!policy) return policy;
  const { allowedAudiences, requiredClaims, forbiddenClaims, maxExpiresInSeconds, fixedIssuer } = policy;
  return definedOnly({ allowedAudiences, requiredClaims, forbiddenClaims, maxExpiresInSeconds, fixedIssuer });
}

/** A policy change as the audit trail records it. */
function policyDetail(policy: RotationPolicyDto | null | undefined): AuditDetail {
  if (policy === undefined) return {};
  if (policy === null) return { rotationPolicy: 'removed' };
  return {
    rotateEverySeconds: policy.rotateEverySeconds,
    prePublishSeconds: policy.prePublishSeconds,
    retireAfterSeconds: policy.retireAfterSeconds,
    ...definedOnly({ algorithm: policy.algorithm, length: policy.length }),
  };
}

/** The key a rotation policy is set on (or the successor a rotation makes): what its successors are checked against. */
interface PolicyHolder {
  spec: SigningKeySpec;
  custody: KeyCustodyKind;
}

/** How a generate or import was called: the id in the path, if any, and what the caller may sign with. */
interface NewKeyCall {
  pathId?: string;
  grant?: SignGrant;
}

/** A caller limited by signKeys makes keys with fresh ids and no alias: none can take a name its grant holds. */
function assertNewKeyNamesFree(grant: SignGrant, request: NewKeyDto, requestedId: string | null): void {
  assertKeepsNamesAndPolicies(grant, { id: requestedId !== null, alias: request.alias != null });
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
    throw new ValidationFailedError([{ field: 'certificate', message: 'certificate is available for RSA, EC, EdDSA and ML-DSA keys only' }]);
  }
  return { subject, issuer, validityDays: options.certificateValidityDays ?? DEFAULT_CERTIFICATE_DAYS };
}
