import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

export type ActorType = 'api_key' | 'user' | 'cli' | 'system';
export const AUDIT_ACTIONS = [
  'key.generate',
  'key.import',
  'key.rename',
  'key.update',
  'key.publish_next',
  'key.rotation_postponed',
  'key.activate',
  'key.schedule_deletion',
  'key.cancel_deletion',
  'key.certificate',
  'key.certificate_expiring',
  'key.csr',
  'webhook.create',
  'webhook.update',
  'webhook.delete',
  'webhook.redeliver',
  'webhook.rotate_secret',
  'webhook.disable',
  'key.rotate',
  'key.retire',
  'key.delete',
  'key.sign',
  'user_key.register',
  'user_key.import',
  'user_key.delete',
  'api_key.create',
  'api_key.revoke',
  'audit.prune',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];
export const AUDIT_OUTCOMES = ['success', 'failure'] as const;
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number];
export type AuditDetail = Record<string, string | number | boolean>;

/** One attempted change. Append-only: nothing in the service updates these rows; only `audit:prune` deletes old ones. */
@Entity('audit_events')
export class AuditEventEntity {
  /** Ordered by insertion; bigint arrives as a string. */
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS' })
  id: string;

  @CreateDateColumn({ type: 'timestamptz' })
  at: Date;

  /** Null for user keys, which belong to a user rather than a tenant, and for an API key that was not found. */
  @Column('uuid', { name: 'tenant_id', nullable: true })
  tenantId: string | null;

  @Column('varchar', { name: 'actor_type', length: 16 })
  actorType: ActorType;

  /** The API key id, the user (issuer and subject), or the operating-system user that ran the CLI. */
  @Column('text', { name: 'actor_id', nullable: true })
  actorId: string | null;

  @Column('varchar', { length: 32 })
  action: AuditAction;

  /** The key changed: a tenant key, a user key, or an API key, as the action says. */
  @Column('uuid', { name: 'key_id', nullable: true })
  keyId: string | null;

  @Column('varchar', { name: 'request_id', length: 128, nullable: true })
  requestId: string | null;

  @Column('varchar', { length: 16 })
  outcome: AuditOutcome;

  /** What else helps to read the event (algorithm, new name, successor id, error code); never key material. */
  @Column('jsonb', { nullable: true })
  detail: AuditDetail | null;
}
