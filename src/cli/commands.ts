import type { CliCommand } from './command';
import { apiKeyCreate } from './commands/apikey-create';
import { apiKeyList } from './commands/apikey-list';
import { apiKeyRevoke } from './commands/apikey-revoke';
import { auditPrune } from './commands/audit-prune';
import { hsmOrphans } from './commands/hsm-orphans';
import { kekRotate } from './commands/kek-rotate';
import { migrationRun } from './commands/migration-run';
import { tenantCreate } from './commands/tenant-create';
import { tenantList } from './commands/tenant-list';

/** Every command of the CLI, in the order the usage lists them. A new command is a file in commands/ and a line here. */
export const COMMANDS: readonly CliCommand[] = [
  tenantCreate,
  tenantList,
  apiKeyCreate,
  apiKeyList,
  apiKeyRevoke,
  migrationRun,
  kekRotate,
  hsmOrphans,
  auditPrune,
];
