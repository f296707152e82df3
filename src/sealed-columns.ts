import type { SealedColumn } from './sealing/secret-sealer';
import { TENANT_KEY_SEALED_COLUMNS } from './tenant-keys/material/key-material';
import { WEBHOOK_SEALED_COLUMNS } from './webhooks/webhook-secrets';

/**
 * Every column holding secrets sealed at rest, as the feature owning its table declares it: given to the sealer
 * (HsmModule.forRoot) by the service and the CLI alike. A feature that seals a new column adds its declaration here.
 */
export const APP_SEALED_COLUMNS: readonly SealedColumn[] = [...TENANT_KEY_SEALED_COLUMNS, ...WEBHOOK_SEALED_COLUMNS];
