import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The tenants holding more retired keys than MAX_RETIRED_KEYS_PER_TENANT, and their oldest retired key, found by an
 * index of the retired keys alone: the lifecycle scheduler asks on every tick.
 */
export class RetiredKeysIndex1765260000000 implements MigrationInterface {
  name = 'RetiredKeysIndex1765260000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE INDEX tenant_keys_retired ON tenant_keys (tenant_id, retire_at) WHERE status = 'retired'`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX tenant_keys_retired`);
  }
}
