import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { SealOpenError } from '../../crypto/sealing';
import { SecretSealer, SEALED_COLUMNS, type SealedColumn } from '../../sealing/secret-sealer';
import { UnitOfWork } from '../../changes/unit-of-work';

export interface RotationProgress {
  resealed: number;
  /** Sealed values not yet under the newest key. */
  remaining: number;
}

/** The statements that re-seal one sealed column, $1 the sealing key's prefix (exported for their plans' test). */
export function resealStatements({ table, column }: SealedColumn): Record<'remaining' | 'batch' | 'reseal', string> {
  // Rows whose sealed value does not start with the sealing key's prefix.
  const notUnderSealingKey = `${column} IS NOT NULL AND substring(${column} FROM 1 FOR length($1::bytea)) <> $1::bytea`;
  return {
    remaining: `SELECT count(*)::int AS remaining FROM ${table} WHERE ${notUnderSealingKey}`,
    // $2: the batch's size.
    batch: `SELECT tenant_id, id, ${column} AS sealed FROM ${table} WHERE ${notUnderSealingKey} ORDER BY tenant_id, id LIMIT $2 FOR UPDATE SKIP LOCKED`,
    // $1 and $2 the row (tenant id, id), $3 its value re-sealed.
    reseal: `UPDATE ${table} SET ${column} = $3 WHERE tenant_id = $1 AND id = $2`,
  };
}

/**
 * Re-seals every stored private key (and HMAC secret, and webhook secret) under what seals now (the newest
 * key-encryption key of the environment, or the HSM's with PKCS11_KEK_LABEL),
 * `batchSize` rows per transaction. Rows are locked only while their batch runs (SKIP LOCKED), so running
 * services keep serving: they hold every key and open both forms. Stopped halfway, it carries on where it
 * was: a row is done when its blob starts with the sealing key's prefix (`sealedPrefix`).
 */
@Injectable()
export class KeyEncryptionRotation {
  constructor(
    private readonly dataSource: DataSource,
    private readonly work: UnitOfWork,
    private readonly sealer: SecretSealer,
    @Inject(SEALED_COLUMNS) private readonly sealedColumns: readonly SealedColumn[],
  ) {}

  async run(batchSize = 200, onProgress: (progress: RotationProgress) => void = () => undefined): Promise<RotationProgress> {
    const prefix = this.sealer.sealingPrefix();
    const total = await this.countRemaining(prefix);
    let resealed = 0;
    for (const sealed of this.sealedColumns) {
      for (;;) {
        const done = await this.resealBatch(sealed, prefix, batchSize);
        if (done === 0) break;
        resealed += done;
        onProgress({ resealed, remaining: Math.max(0, total - resealed) });
      }
    }
    // Rows another transaction held (SKIP LOCKED) are left for the next run, and counted here.
    return { resealed, remaining: await this.countRemaining(prefix) };
  }

  private async countRemaining(prefix: Buffer): Promise<number> {
    let remaining = 0;
    for (const sealed of this.sealedColumns) {
      const [row] = await this.dataSource.query<[{ remaining: number }]>(resealStatements(sealed).remaining, [prefix]);
      remaining += row.remaining;
    }
    return remaining;
  }

  private resealBatch(sealed: SealedColumn, prefix: Buffer, batchSize: number): Promise<number> {
    const { table, column } = sealed;
    const statements = resealStatements(sealed);
    return this.work.run(async ({ manager }) => {
      const rows = await manager.query<{ tenant_id: string; id: string; sealed: Buffer }[]>(statements.batch, [prefix, batchSize]);
      for (const row of rows) {
        const associatedData = sealed.associatedData(row.tenant_id, row.id);
        let plaintext: Buffer;
        try {
          plaintext = await this.sealer.open(row.sealed, associatedData);
        } catch (error) {
          if (error instanceof SealOpenError) {
            throw new Error(
              `${table}.${column} of ${row.id} (tenant ${row.tenant_id}) opens with none of the configured key-encryption keys; nothing after it was re-sealed`,
              { cause: error },
            );
          }
          throw error;
        }
        const resealed = await this.sealer.seal(plaintext, associatedData);
        plaintext.fill(0);
        await manager.query(statements.reseal, [row.tenant_id, row.id, resealed]);
      }
      return rows.length;
    });
  }
}
