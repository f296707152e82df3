import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

/** A user's public key. The private key is handed over once at registration and never stored. */
@Entity('user_keys')
@Index('user_keys_owner_created', ['issuer', 'ownerId', 'createdAt'])
export class UserKeyEntity {
  @PrimaryColumn('uuid')
  id: string;

  /** The token issuer that vouched for the owner: owner ids are only unique within it. */
  @Column('varchar', { length: 1024 })
  issuer: string;

  @Column('varchar', { name: 'owner_id', length: 255 })
  ownerId: string;

  @Column('varchar', { length: 255 })
  name: string;

  @Column('varchar', { name: 'key_type', length: 16 })
  keyType: string;

  /** Null for rsa keys. */
  @Column('varchar', { length: 16, nullable: true })
  curve: string | null;

  @Column('text', { name: 'public_key_pem' })
  publicKeyPem: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
