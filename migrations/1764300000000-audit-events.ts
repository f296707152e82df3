import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The audit trail: one row per attempted change, written in the change's own transaction (or, for a
 * failure, after its rollback). No foreign keys: the history of a deleted key must outlive the key.
 */
export class AuditEvents1764300000000 implements MigrationInterface {
  name = 'AuditEvents1764300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE audit_events (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        at timestamptz NOT NULL DEFAULT now(),
        tenant_id uuid,
        actor_type varchar(16) NOT NULL,
        actor_id text,
        action varchar(32) NOT NULL,
        key_id uuid,
        request_id varchar(128),
        outcome varchar(16) NOT NULL,
        detail jsonb
      )`);
    await queryRunner.query(`CREATE INDEX audit_events_tenant_id ON audit_events (tenant_id, id DESC)`);
    await queryRunner.query(`CREATE INDEX audit_events_tenant_key_id ON audit_events (tenant_id, key_id, id DESC)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE audit_events`);
  }
}
