import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/** A tenant's webhook: where its events go, which ones, and the secret that signs them (sealed like private keys). */
@Entity('webhook_subscriptions')
export class WebhookSubscriptionEntity {
  @PrimaryColumn('uuid')
  id: string;

  @Column('uuid', { name: 'tenant_id' })
  tenantId: string;

  @Column('varchar', { length: 2048 })
  url: string;

  /** Event types, or `*` for all. */
  @Column('text', { array: true })
  events: string[];

  @Column('varchar', { length: 255, nullable: true })
  description: string | null;

  @Column('boolean', { default: true })
  enabled: boolean;

  @Column('bytea', { name: 'secret_sealed' })
  secretSealed: Buffer;

  /** The secret before the last rotation: it signs beside the new one until `previousSecretExpiresAt`. */
  @Column('bytea', { name: 'previous_secret_sealed', nullable: true })
  previousSecretSealed: Buffer | null;

  @Column('timestamptz', { name: 'previous_secret_expires_at', nullable: true })
  previousSecretExpiresAt: Date | null;

  /** Since when every delivery attempt has failed (null: the last one succeeded, or none failed yet). */
  @Column('timestamptz', { name: 'failing_since', nullable: true })
  failingSince: Date | null;

  /** Set when the service disabled the subscription on its own, with why; cleared when it is enabled again. */
  @Column('timestamptz', { name: 'disabled_at', nullable: true })
  disabledAt: Date | null;

  @Column('varchar', { name: 'disabled_reason', length: 255, nullable: true })
  disabledReason: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
