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
    // HMAC kids were random (128 bits): two alike in a tenant cannot have happened, but if they did, say so plainly.
    const [clash] = (await queryRunner.query(`
      SELECT tenant_id, kid FROM tenant_keys WHERE status <> 'retired' GROUP BY tenant_id, kid HAVING count(*) > 1 LIMIT 1`)) as {
      tenant_id: string;
      kid: string;
    }[];
    if (clash) throw new Error(`Tenant ${clash.tenant_id} has two keys with the kid ${clash.kid}: retire or delete one, then migrate again`);
    await queryRunner.query(`DROP INDEX tenant_keys_tenant_kid_unretired`);
    await queryRunner.query(`CREATE UNIQUE INDEX tenant_keys_tenant_kid_unretired ON tenant_keys (tenant_id, kid) WHERE status <> 'retired'`);
  }

  /**
   * Refused while a key keeps a kid of its own: without the thumbprint column its material could not be told apart
   * again (up() would take its kid for its thumbprint).
   */
  async down(queryRunner: QueryRunner): Promise<void> {
    const [{ own }] = (await queryRunner.query(
      `SELECT count(*)::int AS own FROM tenant_keys WHERE thumbprint IS NOT NULL AND kid <> thumbprint`,
    )) as {
      own: number;
    }[];
    if (own > 0) throw new Error(`${own} keys keep a kid of their own (imported with one): delete them before undoing this migration`);
    await queryRunner.query(`DROP INDEX tenant_keys_tenant_kid_unretired`);
    await queryRunner.query(`
      CREATE UNIQUE INDEX tenant_keys_tenant_kid_unretired ON tenant_keys (tenant_id, kid)
      WHERE public_jwk IS NOT NULL AND status <> 'retired'`);
    await queryRunner.query(`DROP INDEX tenant_keys_tenant_thumbprint_unretired`);
    await queryRunner.query(`ALTER TABLE tenant_keys DROP COLUMN thumbprint`);
  }
}
