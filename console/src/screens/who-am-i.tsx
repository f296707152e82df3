import { OPERATIONS } from '../operations';
import { useSession } from '../session';
import { Curl, Screen, When } from '../ui';
import { API_KEY_SCOPES } from '../vocabulary';

/** The signed-in API key: its tenant, scopes, the keys it may sign with and when it expires. */
export function WhoAmI() {
  const { principal } = useSession();
  return (
    <Screen title="Who am I">
      <dl class="facts" aria-label="This API key">
        <dt>Tenant</dt>
        <dd>
          <code>{principal.tenantId}</code>
        </dd>
        <dt>API key</dt>
        <dd>
          {principal.name ?? 'unnamed'} (<code>{principal.prefix}…</code>)
        </dd>
        <dt>Scopes</dt>
        <dd>
          <ul class="scopes">
            {API_KEY_SCOPES.map((scope) => (
              <li key={scope} class={principal.scopes.includes(scope) ? 'held' : 'lacking'}>
                {scope}: {principal.scopes.includes(scope) ? 'held' : 'not held'}
              </li>
            ))}
          </ul>
        </dd>
        <dt>May sign with</dt>
        <dd>{principal.signKeys ? principal.signKeys.join(', ') : 'any key'}</dd>
        <dt>Expires</dt>
        <dd>{principal.expiresAt ? <When at={principal.expiresAt} /> : 'never'}</dd>
        <dt>Created</dt>
        <dd>
          <When at={principal.createdAt} />
        </dd>
      </dl>
      <Curl operation={OPERATIONS.whoAmI} />
    </Screen>
  );
}
