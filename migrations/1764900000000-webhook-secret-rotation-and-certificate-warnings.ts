import { X509Certificate } from 'node:crypto';
import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Webhook secrets that rotate (the previous secret signs beside the new one until it expires), subscriptions that
 * are disabled after their deliveries have all failed for a while (and say why), and the expiry of each key's leaf
 * certificate as a column, with the warnings already sent for it, so that `key.certificate_expiring` goes out once
 * per threshold.
 */
export class WebhookSecretRotationAndCertificateWarnings1764900000000 implements MigrationInterface {
  name = 'WebhookSecretRotationAndCertificateWarnings1764900000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE webhook_subscriptions
        ADD COLUMN previous_secret_sealed bytea,
        ADD COLUMN previous_secret_expires_at timestamptz,
        ADD COLUMN failing_since timestamptz,
        ADD COLUMN disabled_at timestamptz,
        ADD COLUMN disabled_reason varchar(255)`);
    await queryRunner.query(`
      ALTER TABLE tenant_keys
        ADD COLUMN certificate_expires_at timestamptz,
        ADD COLUMN certificate_warned_days integer`);
    const certified = (await queryRunner.query(`SELECT tenant_id, id, certificate_pem FROM tenant_keys WHERE certificate_pem IS NOT NULL`)) as {
      tenant_id: string;
      id: string;
      certificate_pem: string;
    }[];
    for (const key of certified) {
      const leaf = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(key.certificate_pem)![0];
      await queryRunner.query(`UPDATE tenant_keys SET certificate_expires_at = $3 WHERE tenant_id = $1 AND id = $2`, [
        key.tenant_id,
        key.id,
        new Date(new X509Certificate(leaf).validTo),
      ]);
    }
    await queryRunner.query(
      `CREATE INDEX tenant_keys_certificate_expiry ON tenant_keys (certificate_expires_at) WHERE certificate_expires_at IS NOT NULL`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX tenant_keys_certificate_expiry`);
    await queryRunner.query(`ALTER TABLE tenant_keys DROP COLUMN certificate_expires_at, DROP COLUMN certificate_warned_days`);
    await queryRunner.query(`
      ALTER TABLE webhook_subscriptions
        DROP COLUMN previous_secret_sealed, DROP COLUMN previous_secret_expires_at, DROP COLUMN failing_since,
        DROP COLUMN disabled_at, DROP COLUMN disabled_reason`);
  }
}
