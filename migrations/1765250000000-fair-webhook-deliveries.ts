import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Webhook deliveries claimed fairly across tenants: each tenant's oldest pending deliveries are found by an index on
 * (tenant_id, sequence), which also lists the tenants with pending work, and the deliveries being sent now (leased)
 * are counted per tenant by an index of their own. The index on the sequence alone served the oldest-first claim only.
 */
export class FairWebhookDeliveries1765250000000 implements MigrationInterface {
  name = 'FairWebhookDeliveries1765250000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX webhook_deliveries_pending_sequence`);
    await queryRunner.query(`CREATE INDEX webhook_deliveries_pending_tenant ON webhook_deliveries (tenant_id, sequence) WHERE status = 'pending'`);
    await queryRunner.query(`CREATE INDEX webhook_deliveries_leased ON webhook_deliveries (tenant_id) WHERE leased_until IS NOT NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX webhook_deliveries_leased`);
    await queryRunner.query(`DROP INDEX webhook_deliveries_pending_tenant`);
    await queryRunner.query(`CREATE INDEX webhook_deliveries_pending_sequence ON webhook_deliveries (sequence) WHERE status = 'pending'`);
  }
}
