import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Webhooks: a tenant's subscriptions (URL, events, sealed signing secret) and the outbox of deliveries, one row per
 * event and subscription, inserted in the transaction of the change that causes it. API keys that held every scope
 * get the new `webhooks:manage` too.
 */
export class Webhooks1764800000000 implements MigrationInterface {
  name = 'Webhooks1764800000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE webhook_subscriptions (
        id uuid PRIMARY KEY,
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        url varchar(2048) NOT NULL,
        events text[] NOT NULL,
        description varchar(255),
        enabled boolean NOT NULL DEFAULT true,
        secret_sealed bytea NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE INDEX webhook_subscriptions_tenant ON webhook_subscriptions (tenant_id)`);
    await queryRunner.query(`
      CREATE TABLE webhook_deliveries (
        id uuid PRIMARY KEY,
        sequence bigint GENERATED ALWAYS AS IDENTITY,
        tenant_id uuid NOT NULL,
        subscription_id uuid NOT NULL REFERENCES webhook_subscriptions(id) ON DELETE CASCADE,
        event_type varchar(64) NOT NULL,
        key_id uuid,
        body text NOT NULL,
        status varchar(16) NOT NULL DEFAULT 'pending',
        attempts integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL DEFAULT now(),
        last_status_code integer,
        last_error varchar(255),
        last_duration_ms integer,
        delivered_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending'`);
    await queryRunner.query(
      `CREATE INDEX webhook_deliveries_pending_order ON webhook_deliveries (subscription_id, key_id, sequence) WHERE status = 'pending'`,
    );
    await queryRunner.query(`
      UPDATE api_keys SET scopes = array_append(scopes, 'webhooks:manage')
      WHERE scopes @> '{keys:read,keys:write,keys:sign,keys:verify,audit:read,api-keys:manage}' AND NOT scopes @> '{webhooks:manage}'`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`UPDATE api_keys SET scopes = array_remove(scopes, 'webhooks:manage')`);
    await queryRunner.query(`DROP TABLE webhook_deliveries`);
    await queryRunner.query(`DROP TABLE webhook_subscriptions`);
  }
}
