import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

/** An API key of a tenant. Only the SHA-256 of the secret is stored; the prefix is for display and lookup. */
@Entity('api_keys')
@Index('api_keys_tenant_prefix', ['tenantId', 'prefix'])
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

  /** Written at most once a minute per key (TenantsService.noteApiKeyUsed). */
  @Column('timestamptz', { name: 'last_used_at', nullable: true })
  lastUsedAt: Date | null;
}
