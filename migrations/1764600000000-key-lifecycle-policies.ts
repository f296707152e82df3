import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Keys that look after themselves: an alias unique in its tenant, a rotation policy with the time of the next
 * rotation, a pre-published successor's activation time, and scheduled deletion (when, and what to restore on
 * cancel). Partial indexes let the scheduler find due steps without scanning every key.
 */
export class KeyLifecyclePolicies1764600000000 implements MigrationInterface {
  name = 'KeyLifecyclePolicies1764600000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE tenant_keys
        ADD COLUMN alias varchar(64),
        ADD COLUMN rotation_policy jsonb,
        ADD COLUMN next_rotation_at timestamptz,
        ADD COLUMN activates_at timestamptz,
        ADD COLUMN delete_at timestamptz,
        ADD COLUMN restore_status varchar(16),
        ADD COLUMN restore_alias varchar(64)`);
    await queryRunner.query(`CREATE UNIQUE INDEX tenant_keys_tenant_alias ON tenant_keys (tenant_id, alias) WHERE alias IS NOT NULL`);
    await queryRunner.query(
      `CREATE INDEX tenant_keys_due_rotation ON tenant_keys (next_rotation_at) WHERE status = 'active' AND next_rotation_at IS NOT NULL AND rotated_to IS NULL`,
    );
    await queryRunner.query(`CREATE INDEX tenant_keys_due_activation ON tenant_keys (activates_at) WHERE status = 'next'`);
    await queryRunner.query(`CREATE INDEX tenant_keys_due_retirement ON tenant_keys (retire_at) WHERE status = 'retiring'`);
    await queryRunner.query(`CREATE INDEX tenant_keys_due_deletion ON tenant_keys (delete_at) WHERE status = 'pending_deletion'`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const index of [
      'tenant_keys_tenant_alias',
      'tenant_keys_due_rotation',
      'tenant_keys_due_activation',
      'tenant_keys_due_retirement',
      'tenant_keys_due_deletion',
    ]) {
      await queryRunner.query(`DROP INDEX ${index}`);
    }
    await queryRunner.query(`
      ALTER TABLE tenant_keys
        DROP COLUMN alias, DROP COLUMN rotation_policy, DROP COLUMN next_rotation_at, DROP COLUMN activates_at,
        DROP COLUMN delete_at, DROP COLUMN restore_status, DROP COLUMN restore_alias`);
  }
}
