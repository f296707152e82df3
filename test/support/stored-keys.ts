import { createPrivateKey, type KeyObject } from 'node:crypto';
import { open, tenantKeyAssociatedData } from '../../src/crypto/sealing';
import type { TestApp } from './test-app';

/** The raw row as PostgreSQL holds it, read past the service. */
export async function readRawKeyRow(testApp: TestApp, tenantId: string, keyId: string): Promise<Record<string, unknown>> {
  const [row] = await testApp.dataSource.query('SELECT * FROM tenant_keys WHERE tenant_id = $1 AND id = $2', [tenantId, keyId]);
  if (!row) throw new Error(`no row for ${tenantId}/${keyId}`);
  return row;
}

/** Test-only path to a stored private key: the sealed column, opened with the app's key-encryption key. */
export async function openStoredPrivateKey(testApp: TestApp, tenantId: string, keyId: string): Promise<KeyObject> {
  const row = await readRawKeyRow(testApp, tenantId, keyId);
  const der = open(testApp.config.openingKeys, row.private_key_sealed as Buffer, tenantKeyAssociatedData(tenantId, keyId));
  return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
}
