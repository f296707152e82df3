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

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
