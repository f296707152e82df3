import { TenantsService } from '../../tenants/tenants.service';
import { defineCommand } from '../command';
import { table, when } from '../table';

export const tenantList = defineCommand({
  name: 'tenant:list',
  options: {},
  description: 'list tenants: id, name, created, active API keys',
  validate: () => undefined,
  async run({ app }) {
    const tenants = await app.get(TenantsService).listTenants();
    return {
      json: { tenants },
      text: table(
        ['TENANT ID', 'NAME', 'CREATED', 'ACTIVE API KEYS'],
        tenants.map((tenant) => [tenant.id, tenant.name, when(tenant.createdAt), String(tenant.activeApiKeys)]),
      ),
    };
  },
});
