import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { APP_CONFIG, type RuntimeConfig } from '../../config/config';
import { Transactions } from '../../database/transactions';
import { open, seal, sealedPrefix, SealOpenError, tenantKeyAssociatedData } from '../../crypto/sealing';

export interface RotationProgress {
  resealed: number;
  /** Sealed private keys not yet under the newest key. */
  remaining: number;
}

/** Rows whose sealed private key does not start with the sealing key's prefix ($1). */
const NOT_UNDER_SEALING_KEY = 'private_key_sealed IS NOT NULL AND substring(private_key_sealed FROM 1 FOR length($1::bytea)) <> $1::bytea';

/**
 * Re-seals every stored private key (and HMAC secret) under the sealing key (the newest key-encryption key),
 * `batchSize` rows per transaction. Rows are locked only while their batch runs (SKIP LOCKED), so running
 * services keep serving: they hold every key and open both forms. Stopped halfway, it carries on where it
 * was: a row is done when its blob starts with the sealing key's prefix (`sealedPrefix`).
 */
@Injectable()
export class KeyEncryptionRotation {
  constructor(
    private readonly dataSource: DataSource,
    private readonly transactions: Transactions,
    @Inject(APP_CONFIG) private readonly config: RuntimeConfig,
  ) {}

  async run(batchSize = 200, onProgress: (progress: RotationProgress) => void = () => undefined): Promise<RotationProgress> {
    const prefix = sealedPrefix(this.config.sealingKey);
    const total = await this.countRemaining(prefix);
    let resealed = 0;
    for (;;) {
      const done = await this.resealBatch(prefix, batchSize);
      if (done === 0) break;
      resealed += done;
      onProgress({ resealed, remaining: Math.max(0, total - resealed) });
    }
    // Rows another transaction held (SKIP LOCKED) are left for the next run, and counted here.
    return { resealed, remaining: await this.countRemaining(prefix) };
  }

  private async countRemaining(prefix: Buffer): Promise<number> {
    const [{ remaining }] = await this.dataSource.query<[{ remaining: number }]>(
      `SELECT count(*)::int AS remaining FROM tenant_keys WHERE ${NOT_UNDER_SEALING_KEY}`,
      [prefix],
    );
    return remaining;
  }

  private resealBatch(prefix: Buffer, batchSize: number): Promise<number> {
    return this.transactions.run(async (manager) => {
      const rows = await manager.query<{ tenant_id: string; id: string; private_key_sealed: Buffer }[]>(
        `SELECT tenant_id, id, private_key_sealed FROM tenant_keys WHERE ${NOT_UNDER_SEALING_KEY} ORDER BY tenant_id, id LIMIT $2 FOR UPDATE SKIP LOCKED`,
        [prefix, batchSize],
      );
      for (const row of rows) {
        const associatedData = tenantKeyAssociatedData(row.tenant_id, row.id);
        let plaintext: Buffer;
        try {
          plaintext = open(this.config.openingKeys, row.private_key_sealed, associatedData);
        } catch (error) {
          if (error instanceof SealOpenError) {
            throw new Error(
              `Key ${row.id} of tenant ${row.tenant_id} opens with none of the configured key-encryption keys; nothing after it was re-sealed`,
              {
                cause: error,
              },
            );
          }
          throw error;
        }
        const resealed = seal(this.config.sealingKey, plaintext, associatedData);
        plaintext.fill(0);
        await manager.query('UPDATE tenant_keys SET private_key_sealed = $3 WHERE tenant_id = $1 AND id = $2', [row.tenant_id, row.id, resealed]);
      }
      return rows.length;
    });
  }
}
