import { TenantsService } from '../../tenants/tenants.service';
import { defineCommand, uuidOption } from '../command';
import { table, when } from '../table';

export const apiKeyList = defineCommand({
  name: 'apikey:list',
  options: { tenant: { type: 'string', placeholder: 'id', required: true } },
  description: "list a tenant's API keys: id, name, prefix, scopes, created, last used, expires, revoked (never the secret)",
  validate: ({ tenant }) => uuidOption(tenant, '--tenant'),
  async run({ app }, tenantId) {
    const apiKeys = await app.get(TenantsService).listApiKeys(tenantId);
    return {
      json: { tenantId, apiKeys },
      text: table(
        ['API KEY ID', 'NAME', 'PREFIX', 'SCOPES', 'CREATED', 'LAST USED', 'EXPIRES', 'REVOKED'],
        apiKeys.map((key) => [
          key.id,
          key.name ?? '-',
          key.prefix,
          key.scopes.join(','),
          when(key.createdAt),
          when(key.lastUsedAt),
          when(key.expiresAt),
          when(key.revokedAt),
        ]),
      ),
    };
  },
});
