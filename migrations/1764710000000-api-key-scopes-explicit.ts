import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Every API key that existed got every scope from the column default (1764700000000); from now on each insert
 * names its scopes, so that a forgotten column can never grant everything.
 */
export class ApiKeyScopesExplicit1764710000000 implements MigrationInterface {
  name = 'ApiKeyScopesExplicit1764710000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE api_keys ALTER COLUMN scopes DROP DEFAULT`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE api_keys ALTER COLUMN scopes SET DEFAULT '{keys:read,keys:write,keys:sign,keys:verify,audit:read,api-keys:manage}'`,
    );
  }
}
