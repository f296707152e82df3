import type { JWK } from 'jose';
import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/** A tenant's signing key. Ids are unique per tenant; the private key is sealed with AES-256-GCM. */
@Entity('tenant_keys')
@Index('tenant_keys_tenant_created', ['tenantId', 'createdAt'])
export class TenantKeyEntity {
  @PrimaryColumn('uuid', { name: 'tenant_id' })
  tenantId: string;

  @PrimaryColumn('uuid')
  id: string;

  @Column('varchar', { length: 255 })
  name: string;

  @Column('varchar', { length: 16 })
  algorithm: string;

  @Column('varchar', { length: 8 })
  type: string;

  @Column('varchar', { length: 16, nullable: true })
  curve: string | null;

  @Column('integer')
  length: number;

  @Column('varchar', { length: 1024, nullable: true })
  issuer: string | null;

  @Column('varchar', { length: 64 })
  kid: string;

  @Column('text', { name: 'public_key_pem' })
  publicKeyPem: string;

  @Column('jsonb', { name: 'public_jwk' })
  publicJwk: JWK;

  /** Sealed PKCS#8 DER; associated data: tenant id and key id. */
  @Column('bytea', { name: 'private_key_sealed', nullable: true })
  privateKeySealed: Buffer | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
