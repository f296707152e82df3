import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Until when an instance makes the material of a key's scheduled successor: others pass the key by meanwhile, and no
 * row stays locked while the material is made (an RSA pair may wait its turn on the generator).
 */
export class SuccessorPublicationClaim1765200000000 implements MigrationInterface {
  name = 'SuccessorPublicationClaim1765200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE tenant_keys ADD COLUMN publishing_until timestamptz`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE tenant_keys DROP COLUMN publishing_until`);
  }
}
