import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * One kid per key material within a tenant: verifiers (jose's JWKS resolver, `/key/verify`) find a key by
 * its kid, so two published keys with one thumbprint make tokens ambiguous. Retirement becomes a stored
 * status so that the unique index can leave retired keys out. Duplicates already stored are settled by
 * retiring all but one of each (the one that can sign, active, oldest), with an audit row each: nothing
 * is deleted, and the kept key verifies the same tokens.
 */
export class OneKeyOneKid1764400000000 implements MigrationInterface {
  name = 'OneKeyOneKid1764400000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`UPDATE tenant_keys SET status = 'retired' WHERE status = 'retiring' AND retire_at <= now()`);
    await queryRunner.query(`
      WITH ranked AS (
        SELECT tenant_id, id, kid,
          first_value(id) OVER holders AS kept_id,
          row_number() OVER holders AS rank
        FROM tenant_keys
        WHERE public_jwk IS NOT NULL AND status <> 'retired'
        WINDOW holders AS (
          PARTITION BY tenant_id, kid
          ORDER BY (private_key_sealed IS NOT NULL) DESC, (status = 'active') DESC, created_at, id
        )
      ),
      retired AS (
        UPDATE tenant_keys key SET status = 'retired', retire_at = now()
        FROM ranked
        WHERE ranked.rank > 1 AND key.tenant_id = ranked.tenant_id AND key.id = ranked.id
        RETURNING key.tenant_id, key.id, key.kid, ranked.kept_id
      )
      INSERT INTO audit_events (tenant_id, actor_type, actor_id, action, key_id, outcome, detail)
      SELECT tenant_id, 'system', 'migration', 'key.retire', id, 'success',
        jsonb_build_object('reason', 'another key of the tenant has the same kid', 'kid', kid, 'keptKeyId', kept_id)
      FROM retired`);
    await queryRunner.query(`
      CREATE UNIQUE INDEX tenant_keys_tenant_kid_unretired ON tenant_keys (tenant_id, kid)
      WHERE public_jwk IS NOT NULL AND status <> 'retired'`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX tenant_keys_tenant_kid_unretired`);
  }
}
