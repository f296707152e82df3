import type { DataSource } from 'typeorm';
import { keyEncryptionKeyId, open, seal, SealOpenError, tenantKeyAssociatedData } from '../crypto/sealing';

export interface RotationProgress {
  resealed: number;
  /** Sealed private keys not yet under the newest key. */
  remaining: number;
}

/**
 * Re-seals every stored private key (and HMAC secret) under the newest key-encryption key, `batchSize`
 * rows per transaction. Rows are locked only while their batch runs (SKIP LOCKED), so running services
 * keep serving: they hold every key and open both forms. Stopped halfway, it carries on where it was:
 * a row is done when its blob names the newest key.
 */
export async function rotateKeyEncryption(
  dataSource: DataSource,
  keyEncryptionKeys: readonly Buffer[],
  batchSize = 200,
  onProgress: (progress: RotationProgress) => void = () => undefined,
): Promise<RotationProgress> {
  const newest = keyEncryptionKeys[0];
  const newestId = keyEncryptionKeyId(newest);
  // Version 2 blobs carry the sealing key's id in bytes 2 to 5.
  const notUnderNewest = `private_key_sealed IS NOT NULL AND NOT (get_byte(private_key_sealed, 0) = 2 AND substring(private_key_sealed FROM 2 FOR 4) = $1)`;
  const [{ total }] = await dataSource.query(`SELECT count(*)::int AS total FROM tenant_keys WHERE ${notUnderNewest}`, [newestId]);
  let resealed = 0;
  for (;;) {
    const done = await dataSource.transaction(async (manager) => {
      const rows: { tenant_id: string; id: string; private_key_sealed: Buffer }[] = await manager.query(
        `SELECT tenant_id, id, private_key_sealed FROM tenant_keys WHERE ${notUnderNewest} ORDER BY tenant_id, id LIMIT $2 FOR UPDATE SKIP LOCKED`,
        [newestId, batchSize],
      );
      for (const row of rows) {
        const associatedData = tenantKeyAssociatedData(row.tenant_id, row.id);
        let plaintext: Buffer;
        try {
          plaintext = open(keyEncryptionKeys, row.private_key_sealed, associatedData);
        } catch (error) {
          if (error instanceof SealOpenError) {
            throw new Error(`Key ${row.id} of tenant ${row.tenant_id} opens with none of the configured key-encryption keys; nothing after it was re-sealed`);
          }
          throw error;
        }
        const resealedBlob = seal(newest, plaintext, associatedData);
        plaintext.fill(0);
        await manager.query('UPDATE tenant_keys SET private_key_sealed = $3 WHERE tenant_id = $1 AND id = $2', [row.tenant_id, row.id, resealedBlob]);
      }
      return rows.length;
    });
    if (done === 0) break;
    resealed += done;
    onProgress({ resealed, remaining: Math.max(0, total - resealed) });
  }
  // Rows another transaction held (SKIP LOCKED) are left for the next run, and counted here.
  const [{ remaining }] = await dataSource.query(`SELECT count(*)::int AS remaining FROM tenant_keys WHERE ${notUnderNewest}`, [newestId]);
  return { resealed, remaining };
}
