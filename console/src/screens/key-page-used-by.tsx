import { rotationChainOf } from '../keys';
import { OPERATIONS } from '../operations';
import { linkTo } from '../router';
import { useMissingRight } from '../session';
import { Outcome, Reason, useLoad, When } from '../ui';
import type { ApiKey, TenantKey, Webhook } from '../views';

/**
 * Where the key is used: its alias and rotation chain, the API keys limited to it (by id or alias), and the webhooks
 * told about keys (subscriptions are per event type, not per key). A list the signed-in key may not read says so.
 */
export function UsedBy({ tenantKey, version }: { tenantKey: TenantKey; version: number }) {
  const apiKeysWhy = useMissingRight(OPERATIONS.listApiKeys);
  const webhooksWhy = useMissingRight(OPERATIONS.listWebhooks);
  return (
    <>
      <h2>Used by</h2>
      <h3>Alias and rotation chain</h3>
      <p>
        {tenantKey.alias ? (
          <>
            Signs for the alias <code>{tenantKey.alias}</code> while it is active.
          </>
        ) : (
          'No alias.'
        )}
      </p>
      <RotationChain tenantKey={tenantKey} version={version} />
      <h3>API keys limited to this key</h3>
      {apiKeysWhy ? <Reason why={apiKeysWhy} /> : <LimitedApiKeys tenantKey={tenantKey} version={version} />}
      <h3>Webhooks told about keys</h3>
      {webhooksWhy ? <Reason why={webhooksWhy} /> : <KeyWebhooks version={version} />}
    </>
  );
}

/** The keys this one was rotated from and to, followed both ways through the tenant's key list, oldest first. */
function RotationChain({ tenantKey, version }: { tenantKey: TenantKey; version: number }) {
  const { answer } = useLoad<TenantKey[]>(OPERATIONS.listKeys, {}, [tenantKey.id, version]);
  if (!tenantKey.rotatedFrom && !tenantKey.rotatedTo) return <p>Not rotated: no predecessor, no successor.</p>;
  if (!answer) return null;
  if (!answer.ok) return <Outcome answer={answer} />;
  const byId = new Map((answer.data ?? []).map((key) => [key.id, key]));
  const chain = rotationChainOf(tenantKey, byId);
  return (
    <ol aria-label="Rotation chain" class="key-chain">
      {chain.map((key) => (
        <li key={key.id}>
          {key.id === tenantKey.id ? (
            <span aria-current="page">
              <code>{key.kid}</code> (this key)
            </span>
          ) : (
            <a href={linkTo('keys', key.id)}>
              <code>{key.kid}</code>
            </a>
          )}{' '}
          {key.name}, {key.status}
          {key.id === tenantKey.rotatedFrom ? ', rotated to this key' : ''}
          {key.id === tenantKey.rotatedTo ? ', its successor' : ''}
        </li>
      ))}
    </ol>
  );
}

function LimitedApiKeys({ tenantKey, version }: { tenantKey: TenantKey; version: number }) {
  const { answer } = useLoad<ApiKey[]>(OPERATIONS.listApiKeys, {}, [version]);
  if (!answer) return null;
  if (!answer.ok) return <Outcome answer={answer} />;
  const names = [tenantKey.id, tenantKey.alias].filter(Boolean);
  const limited = (answer.data ?? []).filter((apiKey) => apiKey.signKeys?.some((name) => names.includes(name)));
  if (limited.length === 0) return <p>No API key is limited to this key (keys without a limit may sign with any key).</p>;
  return (
    <div class="table-box">
      <table aria-label="API keys limited to this key">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Prefix</th>
            <th scope="col">Signs with</th>
            <th scope="col">Scopes</th>
            <th scope="col">Expires</th>
            <th scope="col">Revoked</th>
          </tr>
        </thead>
        <tbody>
          {limited.map((apiKey) => (
            <tr key={apiKey.id}>
              <td>{apiKey.name ?? 'unnamed'}</td>
              <td>
                <code>{apiKey.prefix}…</code>
              </td>
              <td>{apiKey.signKeys?.join(', ')}</td>
              <td>{apiKey.scopes.join(', ')}</td>
              <td>
                <When at={apiKey.expiresAt} />
              </td>
              <td>
                <When at={apiKey.revokedAt} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function KeyWebhooks({ version }: { version: number }) {
  const { answer } = useLoad<Webhook[]>(OPERATIONS.listWebhooks, {}, [version]);
  if (!answer) return null;
  if (!answer.ok) return <Outcome answer={answer} />;
  const told = (answer.data ?? []).filter((webhook) => webhook.events.some((event) => event === '*' || event.startsWith('key.')));
  if (told.length === 0) return <p>No webhook is subscribed to key events.</p>;
  return (
    <div class="table-box">
      <table aria-label="Webhooks told about keys">
        <thead>
          <tr>
            <th scope="col">URL</th>
            <th scope="col">Events</th>
            <th scope="col">Enabled</th>
          </tr>
        </thead>
        <tbody>
          {told.map((webhook) => (
            <tr key={webhook.id}>
              <td>
                <code>{webhook.url}</code>
                {webhook.description ? <> ({webhook.description})</> : null}
              </td>
              <td>{webhook.events.join(', ')}</td>
              <td>{webhook.enabled ? 'yes' : `no${webhook.disabledReason ? `: ${webhook.disabledReason}` : ''}`}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
