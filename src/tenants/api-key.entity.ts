import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

/** An API key of a tenant. Only the SHA-256 of the secret is stored; the prefix is for display and lookup. */
@Entity('api_keys')
@Index('api_keys_tenant_prefix', ['tenantId', 'prefix'])
@Index('api_keys_prefix_usable', ['prefix'], { where: 'revoked_at IS NULL' })
export class ApiKeyEntity {
  @PrimaryColumn('uuid')
  id: string;

  @Column('uuid', { name: 'tenant_id' })
  tenantId: string;

  @Column('varchar', { length: 16 })
  prefix: string;

  @Column('bytea', { name: 'secret_hash' })
  secretHash: Buffer;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column('timestamptz', { name: 'revoked_at', nullable: true })
  revokedAt: Date | null;

  @Column('varchar', { length: 255, nullable: true })
  name: string | null;

  /** What the key may do (API_KEY_SCOPES). */
  @Column('text', { array: true })
  scopes: string[];

  /** The keys (ids or aliases) it may sign with; null: any. */
  @Column('text', { name: 'sign_keys', array: true, nullable: true })
  signKeys: string[] | null;

  /** After this the key is refused like a revoked one. */
  @Column('timestamptz', { name: 'expires_at', nullable: true })
  expiresAt: Date | null;

  /** Written at most once a minute per key (TenantsService.noteApiKeyUsed). */
  @Column('timestamptz', { name: 'last_used_at', nullable: true })
  lastUsedAt: Date | null;
}
