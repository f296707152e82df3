import type { MigrationInterface, QueryRunner } from 'typeorm';

export class InitialSchema1763800000000 implements MigrationInterface {
  name = 'InitialSchema1763800000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE tenants (
        id uuid PRIMARY KEY,
        name varchar(255) NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`
      CREATE TABLE api_keys (
        id uuid PRIMARY KEY,
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        prefix varchar(16) NOT NULL,
        secret_hash bytea NOT NULL UNIQUE,
        created_at timestamptz NOT NULL DEFAULT now(),
        revoked_at timestamptz
      )`);
    await queryRunner.query(`CREATE INDEX api_keys_tenant_prefix ON api_keys (tenant_id, prefix)`);
    await queryRunner.query(`
      CREATE TABLE tenant_keys (
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        id uuid NOT NULL,
        name varchar(255) NOT NULL,
        algorithm varchar(16) NOT NULL,
        type varchar(8) NOT NULL,
        curve varchar(16),
        length integer NOT NULL,
        issuer varchar(1024),
        kid varchar(64) NOT NULL,
        public_key_pem text NOT NULL,
        public_jwk jsonb NOT NULL,
        private_key_sealed bytea,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, id)
      )`);
    await queryRunner.query(`CREATE INDEX tenant_keys_tenant_created ON tenant_keys (tenant_id, created_at)`);
    await queryRunner.query(`
      CREATE TABLE user_keys (
        id uuid PRIMARY KEY,
        issuer varchar(1024) NOT NULL,
        owner_id varchar(255) NOT NULL,
        name varchar(255) NOT NULL,
        key_type varchar(16) NOT NULL,
        curve varchar(16) NOT NULL,
        public_key_pem text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE INDEX user_keys_owner_created ON user_keys (issuer, owner_id, created_at)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE user_keys`);
    await queryRunner.query(`DROP TABLE tenant_keys`);
    await queryRunner.query(`DROP TABLE api_keys`);
    await queryRunner.query(`DROP TABLE tenants`);
  }
}
