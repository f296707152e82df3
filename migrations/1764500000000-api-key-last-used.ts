import type { MigrationInterface, QueryRunner } from 'typeorm';

/** When an API key last authenticated a request: written at most once a minute per key, off the request path. */
export class ApiKeyLastUsed1764500000000 implements MigrationInterface {
  name = 'ApiKeyLastUsed1764500000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE api_keys ADD COLUMN last_used_at timestamptz`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE api_keys DROP COLUMN last_used_at`);
  }
}
