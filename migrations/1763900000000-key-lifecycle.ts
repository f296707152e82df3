import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Rotation (status, retire_at, rotated_from/to) and HMAC keys, which have no public key. */
export class KeyLifecycle1763900000000 implements MigrationInterface {
  name = 'KeyLifecycle1763900000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE tenant_keys
        ADD COLUMN status varchar(16) NOT NULL DEFAULT 'active',
        ADD COLUMN retire_at timestamptz,
        ADD COLUMN rotated_from uuid,
        ADD COLUMN rotated_to uuid,
        ALTER COLUMN public_key_pem DROP NOT NULL,
        ALTER COLUMN public_jwk DROP NOT NULL`);
    await queryRunner.query(`CREATE INDEX tenant_keys_kid ON tenant_keys (kid)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX tenant_keys_kid`);
    await queryRunner.query(`DELETE FROM tenant_keys WHERE public_key_pem IS NULL`);
    await queryRunner.query(`
      ALTER TABLE tenant_keys
        DROP COLUMN status, DROP COLUMN retire_at, DROP COLUMN rotated_from, DROP COLUMN rotated_to,
        ALTER COLUMN public_key_pem SET NOT NULL,
        ALTER COLUMN public_jwk SET NOT NULL`);
  }
}
