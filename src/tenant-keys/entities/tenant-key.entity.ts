import type { JWK } from 'jose';
import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import type { Curve, KeyType, SigningAlgorithm } from '../../crypto/algorithms';
import type { SigningPolicy } from '../signing/signing-policy';

/** A tenant's signing key. Ids are unique per tenant; the private key is sealed with AES-256-GCM. */
@Entity('tenant_keys')
@Index('tenant_keys_kid', ['kid'])
@Index('tenant_keys_tenant_created_id', ['tenantId', 'createdAt', 'id'])
export class TenantKeyEntity {
  @PrimaryColumn('uuid', { name: 'tenant_id' })
  tenantId: string;

  @PrimaryColumn('uuid')
  id: string;

  @Column('varchar', { length: 255 })
  name: string;

  @Column('varchar', { length: 16 })
  algorithm: SigningAlgorithm;

  @Column('varchar', { length: 8 })
  type: KeyType;

  @Column('varchar', { length: 16, nullable: true })
  curve: Curve | null;

  @Column('integer')
  length: number;

  @Column('varchar', { length: 1024, nullable: true })
  issuer: string | null;

  /** The RFC 7638 thumbprint, unless the key was imported with a kid of its own (random for an HMAC key without one). */
  @Column('varchar', { length: 64 })
  kid: string;

  /** The public key's RFC 7638 SHA-256 thumbprint, whatever its kid: one key material is held once per tenant. Null for HMAC keys. */
  @Column('varchar', { length: 64, nullable: true })
  thumbprint: string | null;

  /** Null for HMAC keys, which have no public part. */
  @Column('text', { name: 'public_key_pem', nullable: true })
  publicKeyPem: string | null;

  @Column('jsonb', { name: 'public_jwk', nullable: true })
  publicJwk: JWK | null;

  /** software: the private key sealed in `privateKeySealed`; hsm: made and kept in the PKCS#11 token, known there by `hsmLabel`. */
  @Column('varchar', { length: 16, default: 'software' })
  custody: KeyCustodyKind;

  @Column('varchar', { name: 'hsm_label', length: 255, nullable: true })
  hsmLabel: string | null;

  /** Sealed PKCS#8 DER, or the raw HMAC secret; associated data: tenant id and key id. Null for an HSM key. */
  @Column('bytea', { name: 'private_key_sealed', nullable: true })
  privateKeySealed: Buffer | null;

  /** Self-signed X.509 certificate (PEM), for RSA and EC keys generated with `certificate: true`. */
  @Column('text', { name: 'certificate_pem', nullable: true })
  certificatePem: string | null;

  /** When the leaf certificate expires (kept beside the PEM to find keys whose certificate is about to). */
  @Column('timestamptz', { name: 'certificate_expires_at', nullable: true })
  certificateExpiresAt: Date | null;

  /** The nearest `key.certificate_expiring` threshold (days) already announced for this certificate. */
  @Column('integer', { name: 'certificate_warned_days', nullable: true })
  certificateWarnedDays: number | null;

  /**
   * A retiring key past `retireAt` is retired whether or not the row says so yet (see effectiveStatus); the row
   * says `retired` once something needs it to, such as the tenant's unique index on kid (retired keys are left out).
   */
  @Column('varchar', { length: 16, default: 'active' })
  status: KeyStatus;

  @Column('timestamptz', { name: 'retire_at', nullable: true })
  retireAt: Date | null;

  @Column('uuid', { name: 'rotated_from', nullable: true })
  rotatedFrom: string | null;

  @Column('uuid', { name: 'rotated_to', nullable: true })
  rotatedTo: string | null;

  /** A name unique in the tenant that follows rotations: the active key of a rotation chain carries it. */
  @Column('varchar', { length: 64, nullable: true })
  alias: string | null;

  @Column('jsonb', { name: 'rotation_policy', nullable: true })
  rotationPolicy: RotationPolicy | null;

  /** When an active key with a policy hands over to its successor (which is published `prePublishSeconds` before). */
  @Column('timestamptz', { name: 'next_rotation_at', nullable: true })
  nextRotationAt: Date | null;

  /** Until when an instance makes this key's scheduled successor (KeyLifecycle); the others pass it by meanwhile. */
  @Column('timestamptz', { name: 'publishing_until', nullable: true })
  publishingUntil: Date | null;

  /** When a `next` key becomes active. */
  @Column('timestamptz', { name: 'activates_at', nullable: true })
  activatesAt: Date | null;

  /** When a `pending_deletion` key is deleted. */
  @Column('timestamptz', { name: 'delete_at', nullable: true })
  deleteAt: Date | null;

  /** What the key will sign (audiences, required and forbidden claims, lifetime, issuer). */
  @Column('jsonb', { name: 'signing_policy', nullable: true })
  signingPolicy: SigningPolicy | null;

  /** What a cancelled deletion puts back: the status and alias the key had. */
  @Column('varchar', { name: 'restore_status', length: 16, nullable: true })
  restoreStatus: KeyStatus | null;

  @Column('varchar', { name: 'restore_alias', length: 64, nullable: true })
  restoreAlias: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}

export const KEY_CUSTODIES = ['software', 'hsm'] as const;
export type KeyCustodyKind = (typeof KEY_CUSTODIES)[number];

/** next: published, not yet signing; active: signs; retiring: verifies until retireAt; pending_deletion: neither. */
export const KEY_STATUSES = ['next', 'active', 'retiring', 'retired', 'pending_deletion'] as const;
export type KeyStatus = (typeof KEY_STATUSES)[number];

/**
 * Rotation on its own: every `rotateEverySeconds`, the successor published `prePublishSeconds` before, the old key kept
 * `retireAfterSeconds`. The successor has `algorithm` and `length` if set, else the key's own (successorSpec).
 */
export interface RotationPolicy {
  rotateEverySeconds: number;
  prePublishSeconds: number;
  retireAfterSeconds: number;
  algorithm?: SigningAlgorithm;
  length?: number;
}

/** Whether the service can sign with the key: its private part sealed in the row, or held in the HSM. */
export function canSign(key: Pick<TenantKeyEntity, 'privateKeySealed' | 'custody'>): boolean {
  return key.privateKeySealed !== null || key.custody === 'hsm';
}

/** Retirement needs no job: a retiring key is retired from the moment its retireAt has passed. */
export function effectiveStatus(key: Pick<TenantKeyEntity, 'status' | 'retireAt'>, now = new Date()): KeyStatus {
  if (key.status === 'retiring' && key.retireAt && key.retireAt <= now) return 'retired';
  return key.status;
}
