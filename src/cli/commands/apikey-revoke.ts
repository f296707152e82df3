import { cliActor } from '../../audit/audit-trail';
import { TenantsService } from '../../tenants/tenants.service';
import { defineCommand, uuidOption } from '../command';

export const apiKeyRevoke = defineCommand({
  name: 'apikey:revoke',
  options: { id: { type: 'string', placeholder: 'api key id', required: true } },
  description: 'revoke an API key at once',
  validate: ({ id }) => uuidOption(id, '--id'),
  async run({ app }, apiKeyId) {
    await app.get(TenantsService).revokeApiKey(cliActor(), apiKeyId);
    return { json: { apiKeyId, revoked: true }, text: `API key ${apiKeyId} revoked.` };
  },
});
