import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Custody of a signing key: `software` (its private key sealed in the row, as before) or `hsm` (made and kept in a
 * PKCS#11 token; the row holds the public key and the label the token knows the pair by).
 */
export class HsmCustody1765000000000 implements MigrationInterface {
  name = 'HsmCustody1765000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE tenant_keys
        ADD COLUMN custody varchar(16) NOT NULL DEFAULT 'software',
        ADD COLUMN hsm_label varchar(255),
        ADD CONSTRAINT tenant_keys_custody CHECK ((custody = 'hsm') = (hsm_label IS NOT NULL) AND (custody = 'software' OR private_key_sealed IS NULL))`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE tenant_keys DROP CONSTRAINT tenant_keys_custody, DROP COLUMN hsm_label, DROP COLUMN custody`);
  }
}
