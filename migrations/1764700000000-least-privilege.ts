import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Least privilege: API keys get a name, scopes, an optional list of keys they may sign with, and an expiry; keys get
 * a signing policy. Every API key that exists keeps every scope (the column default), so nothing breaks on upgrade.
 */
export class LeastPrivilege1764700000000 implements MigrationInterface {
  name = 'LeastPrivilege1764700000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE api_keys
        ADD COLUMN name varchar(255),
        ADD COLUMN scopes text[] NOT NULL DEFAULT '{keys:read,keys:write,keys:sign,keys:verify,audit:read,api-keys:manage}',
        ADD COLUMN sign_keys text[],
        ADD COLUMN expires_at timestamptz`);
    await queryRunner.query(`ALTER TABLE tenant_keys ADD COLUMN signing_policy jsonb`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE tenant_keys DROP COLUMN signing_policy`);
    await queryRunner.query(`ALTER TABLE api_keys DROP COLUMN name, DROP COLUMN scopes, DROP COLUMN sign_keys, DROP COLUMN expires_at`);
  }
}
