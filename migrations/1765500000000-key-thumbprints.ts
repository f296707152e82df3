import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * An imported key may keep its own kid, so the kid no longer tells key material apart: the thumbprint gets a column
 * of its own (the kid of every asymmetric key stored so far; HMAC keys have none), unique per tenant among keys not
 * retired. The kid stays unique per tenant among keys not retired, now HMAC keys too (which may choose one on
 * import; the ones stored so far are random).
 */
export class KeyThumbprints1765500000000 implements MigrationInterface {
  name = 'KeyThumbprints1765500000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE tenant_keys ADD COLUMN thumbprint varchar(64)`);
    await queryRunner.query(`UPDATE tenant_keys SET thumbprint = kid WHERE public_jwk IS NOT NULL`);
    await queryRunner.query(`
      CREATE UNIQUE INDEX tenant_keys_tenant_thumbprint_unretired ON tenant_keys (tenant_id, thumbprint)
      WHERE thumbprint IS NOT NULL AND status <> 'retired'`);
    await queryRunner.query(`DROP INDEX tenant_keys_tenant_kid_unretired`);
    await queryRunner.query(`CREATE UNIQUE INDEX tenant_keys_tenant_kid_unretired ON tenant_keys (tenant_id, kid) WHERE status <> 'retired'`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX tenant_keys_tenant_kid_unretired`);
    await queryRunner.query(`
      CREATE UNIQUE INDEX tenant_keys_tenant_kid_unretired ON tenant_keys (tenant_id, kid)
      WHERE public_jwk IS NOT NULL AND status <> 'retired'`);
    await queryRunner.query(`DROP INDEX tenant_keys_tenant_thumbprint_unretired`);
    await queryRunner.query(`ALTER TABLE tenant_keys DROP COLUMN thumbprint`);
  }
}
