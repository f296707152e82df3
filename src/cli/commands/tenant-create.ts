import { cliActor } from '../../audit/audit-trail';
import { TenantsService } from '../../tenants/tenants.service';
import { defineCommand, UsageError } from '../command';

export const tenantCreate = defineCommand({
  name: 'tenant:create',
  options: { name: { type: 'string', placeholder: 'name', required: true } },
  description: 'create a tenant and its first API key (shown once)',
  validate({ name }) {
    if (name.length > 255) throw new UsageError('--name must be 1 to 255 characters');
    return name;
  },
  async run({ app }, name) {
    const issued = await app.get(TenantsService).createTenant(cliActor(), name);
    return {
      json: { tenantId: issued.tenantId, apiKeyId: issued.apiKeyId, apiKey: issued.apiKey },
      text: `Tenant "${name}" created.\n  tenant id:  ${issued.tenantId}\n  api key id: ${issued.apiKeyId}\n  API key:    ${issued.apiKey}\nThe API key is shown only now.`,
    };
  },
});
