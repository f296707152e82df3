import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * FusionAuth's clients send the raw API key alone, no tenant: the key is found by its prefix across tenants
 * (TenantsRepository.usableApiKeysByPrefixAnyTenant), which the (tenant_id, prefix) index cannot serve.
 */
export class ApiKeyPrefixLookup1765510000000 implements MigrationInterface {
  name = 'ApiKeyPrefixLookup1765510000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE INDEX api_keys_prefix_usable ON api_keys (prefix) WHERE revoked_at IS NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX api_keys_prefix_usable`);
  }
}
