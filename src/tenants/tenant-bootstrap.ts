import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { APP_CONFIG, type RuntimeConfig } from '../config/config';
import { TenantsService } from './tenants.service';

/**
 * At start: the BOOTSTRAP_* tenant and key exist; or, on a fresh embedded database with no bootstrap
 * variables, a `default` tenant is created and its API key printed once, so the README's curl examples work.
 */
@Injectable()
export class TenantBootstrap implements OnApplicationBootstrap {
  private readonly logger = new Logger('Bootstrap');

  constructor(
    private readonly tenants: TenantsService,
    @Inject(APP_CONFIG) private readonly config: RuntimeConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.bootstrap) {
      await this.tenants.ensureBootstrap(this.config.bootstrap.tenantId, this.config.bootstrap.apiKey);
      this.logger.log(`Bootstrap tenant ${this.config.bootstrap.tenantId} is ready`);
      return;
    }
    if (!this.config.embeddedDatabase) return;
    const created = await this.tenants.createDefaultTenantIfNone();
    if (!created) return;
    // Printed straight to the console, once, and never through the logger.
    process.stdout.write(
      [
        '',
        'Created tenant "default" on this fresh database. Its API key is shown only now:',
        `  x-stencil-tenantid: ${created.tenantId}`,
        `  API key:            ${created.apiKey}`,
        `  API key id:         ${created.apiKeyId} (for npm run cli -- apikey:revoke --id)`,
        `  export TENANT_ID=${created.tenantId} API_KEY=${created.apiKey}`,
        'Lost it? npm run cli -- apikey:create --tenant <tenant id> makes another (tenant:list shows the ids).',
        '',
      ].join('\n') + '\n',
    );
  }
}
