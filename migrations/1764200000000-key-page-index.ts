import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Pages walk (created_at, id): an index in that order serves a page without sorting the tenant's keys. */
export class KeyPageIndex1764200000000 implements MigrationInterface {
  name = 'KeyPageIndex1764200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE INDEX tenant_keys_tenant_created_id ON tenant_keys (tenant_id, created_at, id)`);
    await queryRunner.query(`DROP INDEX tenant_keys_tenant_created`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE INDEX tenant_keys_tenant_created ON tenant_keys (tenant_id, created_at)`);
    await queryRunner.query(`DROP INDEX tenant_keys_tenant_created_id`);
  }
}
