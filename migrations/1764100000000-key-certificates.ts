import type { MigrationInterface, QueryRunner } from 'typeorm';

/** A self-signed certificate for RSA and EC keys that ask for one. */
export class KeyCertificates1764100000000 implements MigrationInterface {
  name = 'KeyCertificates1764100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE tenant_keys ADD COLUMN certificate_pem text`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE tenant_keys DROP COLUMN certificate_pem`);
  }
}
