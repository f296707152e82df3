import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Signing policies stored with a rule as null (taken as sent before a null rule meant no rule), which signing read
 * as a rule: the nulls go, as if left out.
 */
export class SigningPolicyWithoutNulls1765400000000 implements MigrationInterface {
  name = 'SigningPolicyWithoutNulls1765400000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      UPDATE tenant_keys SET signing_policy = jsonb_strip_nulls(signing_policy)
      WHERE signing_policy IS NOT NULL AND signing_policy <> jsonb_strip_nulls(signing_policy)`);
  }

  async down(): Promise<void> {
    // A null rule and a missing one mean the same: nothing to put back.
  }
}
