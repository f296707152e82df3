import { cliActor } from '../../audit/audit-trail';
import { isSignKey } from '../../common/key-names';
import { API_KEY_SCOPES, type ApiKeyScope } from '../../common/route-access';
import { TenantsService, type ApiKeyGrant } from '../../tenants/tenants.service';
import { defineCommand, UsageError, uuidOption } from '../command';

const list = (value: string) =>
  value
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);

export const apiKeyCreate = defineCommand({
  name: 'apikey:create',
  options: {
    tenant: { type: 'string', placeholder: 'id', required: true },
    name: { type: 'string', placeholder: 'name' },
    scopes: { type: 'string', placeholder: 'a,b' },
    'sign-keys': { type: 'string', placeholder: 'id|alias,...' },
    expires: { type: 'string', placeholder: 'date-time' },
  },
  description: `create another API key for a tenant (shown once); by default every scope (${API_KEY_SCOPES.join(', ')}), any key, no expiry`,
  validate(values): { tenantId: string; grant: ApiKeyGrant } {
    const tenantId = uuidOption(values.tenant, '--tenant');
    const scopes = values.scopes === undefined ? undefined : list(values.scopes);
    const unknown = scopes?.find((scope) => !(API_KEY_SCOPES as readonly string[]).includes(scope));
    if (scopes?.length === 0 || unknown !== undefined)
      throw new UsageError(`--scopes must be a comma-separated list of ${API_KEY_SCOPES.join(', ')}`);
    const signKeys = values['sign-keys'] === undefined ? null : list(values['sign-keys']).map((key) => key.toLowerCase());
    if (signKeys?.length === 0 || signKeys?.some((key) => !isSignKey(key)))
      throw new UsageError('--sign-keys must be a comma-separated list of key ids or aliases');
    const expiresAt = values.expires === undefined ? null : new Date(values.expires);
    if (expiresAt && (Number.isNaN(expiresAt.getTime()) || expiresAt.getTime() <= Date.now()))
      throw new UsageError('--expires must be a future ISO 8601 date-time, like 2027-01-31T00:00:00Z');
    if (values.name !== undefined && (values.name.trim() === '' || values.name.length > 255))
      throw new UsageError('--name must be 1 to 255 characters');
    return { tenantId, grant: { name: values.name?.trim() ?? null, scopes: scopes as ApiKeyScope[] | undefined, signKeys, expiresAt } };
  },
  async run({ app }, { tenantId, grant }) {
    const issued = await app.get(TenantsService).createApiKey(cliActor(), tenantId, grant);
    return {
      json: { tenantId: issued.tenantId, apiKeyId: issued.apiKeyId, apiKey: issued.apiKey },
      text: `API key created for tenant ${issued.tenantId}.\n  api key id: ${issued.apiKeyId}\n  API key:    ${issued.apiKey}\nThe API key is shown only now.`,
    };
  },
});
