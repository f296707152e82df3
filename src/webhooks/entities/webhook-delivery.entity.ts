import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

/**
 * One event for one subscription: the outbox row, inserted in the transaction of the change that causes it, and the
 * state of its delivery. Its id is the `webhook-id` of every attempt, so receivers can drop repeats.
 */
@Entity('webhook_deliveries')
export class WebhookDeliveryEntity {
  @PrimaryColumn('uuid')
  id: string;

  /** Insertion order: deliveries of one key go out in this order. */
  @Column({ type: 'bigint', insert: false, update: false })
  sequence: string;

  @Column('uuid', { name: 'tenant_id' })
  tenantId: string;

  @Column('uuid', { name: 'subscription_id' })
  subscriptionId: string;

  @Column('varchar', { name: 'event_type', length: 64 })
  eventType: string;

  @Column('uuid', { name: 'key_id', nullable: true })
  keyId: string | null;

  /** The JSON sent, as sent: what the signature covers. */
  @Column('text')
  body: string;

  @Column('varchar', { length: 16, default: 'pending' })
  status: DeliveryStatus;

  @Column('integer', { default: 0 })
  attempts: number;

  @Column('timestamptz', { name: 'next_attempt_at' })
  nextAttemptAt: Date;

  @Column('integer', { name: 'last_status_code', nullable: true })
  lastStatusCode: number | null;

  @Column('varchar', { name: 'last_error', length: 255, nullable: true })
  lastError: string | null;

  @Column('integer', { name: 'last_duration_ms', nullable: true })
  lastDurationMs: number | null;

  /** The lease of the instance sending it now, and until when it holds (see WebhookDeliveryWorker). */
  @Column('uuid', { name: 'lease_id', nullable: true })
  leaseId: string | null;

  @Column('timestamptz', { name: 'leased_until', nullable: true })
  leasedUntil: Date | null;

  @Column('timestamptz', { name: 'delivered_at', nullable: true })
  deliveredAt: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
